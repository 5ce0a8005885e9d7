// Drag a sample out of the browser onto the desktop or into a DAW: Chromium
// downloads the file a "DownloadURL" drag names. Hold Alt (Option) when the drag
// starts to take the SP-404MK2-ready version (48 kHz / 16-bit, a safe name).
"use strict";

document.addEventListener("dragstart", (event) => {
  const item = event.target.closest?.("[data-download-url]");
  if (!item || !event.dataTransfer) return;
  const ready = event.altKey && item.dataset.sp404Name;
  const path = item.dataset.downloadUrl + (ready ? "?version=sp404" : "");
  const url = new URL(path, window.location.href).href;
  const name = ready ? item.dataset.sp404Name : item.dataset.downloadName;
  const type = ready ? "audio/wav" : item.dataset.downloadType;
  // "type:name:url": a colon in the name would end it early.
  event.dataTransfer.setData("DownloadURL", `${type}:${name.replaceAll(":", "_")}:${url}`);
  if (!event.dataTransfer.getData("text/uri-list")) event.dataTransfer.setData("text/uri-list", url);
  // Moving a pad within the page stays a move; outside it, the drag is a copy.
  if (event.dataTransfer.effectAllowed === "move") event.dataTransfer.effectAllowed = "copyMove";
});
