// Small behaviours on native browser APIs; the pages work without this file.
"use strict";
