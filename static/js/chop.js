// The chop editor: cuts drawn over the loop's waveform, moved by mouse, touch or
// keyboard, and each slice auditioned from the loop decoded once in the browser
// (Web Audio), with the same edge fades the exported files get. The cuts live
// in the form's text field; saving posts them and the server makes the slices.
"use strict";

(function () {
  const PAD_KEYS = ["1", "2", "3", "4", "q", "w", "e", "r", "a", "s", "d", "f", "z", "x", "c", "v"];
  // The raised-cosine fades of the exported slices, as gain curves.
  const FADE_IN = Float32Array.from({ length: 64 }, (_, i) => 0.5 - 0.5 * Math.cos((Math.PI * i) / 63));
  const FADE_OUT = FADE_IN.slice().reverse();
  let editor = null; // the one editor on the page
  let context = null;
  let decoded = null; // Promise of the loop's AudioBuffer
  const voices = new Map(); // slice index -> its playing source

  function setUp(root) {
    const input = root.querySelector(".chop-cuts-input");
    editor = {
      root,
      input,
      wave: root.querySelector(".chop-wave"),
      frames: Number(root.dataset.frames),
      rate: Number(root.dataset.rate),
      fade: Number(root.dataset.fadeMs) / 1000,
      shortest: Math.max(1, Math.round((Number(root.dataset.minMs) * Number(root.dataset.rate)) / 1000)),
      most: Number(root.dataset.maxSlices),
      cuts: parseCuts(input.value),
      selected: -1,
    };
    decoded = null;
    // The script's own cuts replace the drawn ones. A data attribute, not a class:
    // htmx lends a swapped-in element the old one's classes until it settles.
    root.dataset.ready = "";
    draw();
  }

  function parseCuts(text) {
    return text.split(",").map((part) => parseInt(part, 10)).filter((frame) => Number.isFinite(frame)).sort((a, b) => a - b);
  }

  function edges() {
    return [0, ...editor.cuts, editor.frames];
  }

  function percent(frame) {
    return `${((100 * frame) / editor.frames).toFixed(4)}%`;
  }

  function draw() {
    const regions = editor.root.querySelector(".chop-regions");
    const marks = editor.root.querySelector(".chop-cuts");
    const bounds = edges();
    regions.replaceChildren(
      ...bounds.slice(0, -1).map((start, index) => {
        const region = document.createElement("button");
        region.type = "button";
        region.className = "chop-region";
        region.style.left = percent(start);
        region.style.width = percent(bounds[index + 1] - start);
        region.dataset.index = index;
        region.textContent = index + 1;
        region.setAttribute("aria-label", `Play slice ${index + 1}`);
        return region;
      })
    );
    marks.replaceChildren(
      ...editor.cuts.map((frame, index) => {
        const mark = document.createElement("span");
        mark.className = "chop-cut" + (index === editor.selected ? " selected" : "");
        mark.style.left = percent(frame);
        mark.dataset.index = index;
        return mark;
      })
    );
  }

  function changed() {
    editor.input.value = editor.cuts.join(",");
    const note = editor.root.querySelector(".chop-unsaved");
    if (note) note.hidden = false;
    draw();
  }

  function frameAt(clientX) {
    const rect = editor.wave.getBoundingClientRect();
    const fraction = Math.min(Math.max((clientX - rect.left) / rect.width, 0), 1);
    return Math.round(fraction * editor.frames);
  }

  function fits(frame, ignore) {
    if (frame < editor.shortest || frame > editor.frames - editor.shortest) return false;
    return editor.cuts.every((cut, index) => index === ignore || Math.abs(cut - frame) >= editor.shortest);
  }

  function addCut(frame) {
    if (editor.cuts.length >= editor.most - 1 || !fits(frame, -1)) return;
    editor.cuts.push(frame);
    editor.cuts.sort((a, b) => a - b);
    editor.selected = editor.cuts.indexOf(frame);
    changed();
  }

  function moveCut(index, frame) {
    const low = (index > 0 ? editor.cuts[index - 1] : 0) + editor.shortest;
    const high = (index < editor.cuts.length - 1 ? editor.cuts[index + 1] : editor.frames) - editor.shortest;
    if (low > high) return;
    editor.cuts[index] = Math.min(Math.max(frame, low), high);
    changed();
  }

  function removeCut(index) {
    editor.cuts.splice(index, 1);
    editor.selected = -1;
    changed();
  }

  // Audition

  function loop() {
    if (!context) context = new AudioContext();
    if (!decoded) {
      decoded = fetch(editor.root.dataset.loopUrl)
        .then((response) => response.arrayBuffer())
        .then((bytes) => context.decodeAudioData(bytes));
    }
    return decoded;
  }

  function playSlice(index) {
    const bounds = edges();
    if (index >= bounds.length - 1) return;
    loop().then((buffer) => {
      voices.get(index)?.stop();
      const start = bounds[index] / editor.rate;
      const length = (bounds[index + 1] - bounds[index]) / editor.rate;
      const fade = Math.min(editor.fade, length / 2.01); // the two curves may not touch
      const source = context.createBufferSource();
      const gain = context.createGain();
      source.buffer = buffer;
      source.connect(gain).connect(context.destination);
      const now = context.currentTime + 0.005;
      gain.gain.setValueCurveAtTime(FADE_IN, now, fade);
      gain.gain.setValueCurveAtTime(FADE_OUT, now + length - fade, fade);
      source.start(now, start, length);
      voices.set(index, source);
      const region = editor.root.querySelector(`.chop-region[data-index="${index}"]`);
      region?.classList.add("playing");
      source.addEventListener("ended", () => {
        if (voices.get(index) === source) voices.delete(index);
        region?.classList.remove("playing");
      });
    });
  }

  // Mouse and touch: drag a cut, double-click (or double-tap) to add one, click a slice to hear it.

  let drag = null;
  let lastTap = { time: 0, x: 0 };

  document.addEventListener("pointerdown", (event) => {
    const mark = event.target.closest(".chop-cut");
    if (!editor || !mark || !editor.root.contains(mark)) return;
    event.preventDefault();
    editor.selected = Number(mark.dataset.index);
    drag = { index: editor.selected, pointer: event.pointerId };
    editor.wave.setPointerCapture(event.pointerId);
    draw();
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointer) return;
    moveCut(drag.index, frameAt(event.clientX));
  });

  document.addEventListener("pointerup", (event) => {
    if (drag && event.pointerId === drag.pointer) {
      drag = null;
      return;
    }
    if (!editor || event.pointerType !== "touch" || !editor.wave.contains(event.target)) return;
    if (event.timeStamp - lastTap.time < 350 && Math.abs(event.clientX - lastTap.x) < 24) {
      addCut(frameAt(event.clientX));
      lastTap = { time: 0, x: 0 };
    } else {
      lastTap = { time: event.timeStamp, x: event.clientX };
    }
  });

  document.addEventListener("dblclick", (event) => {
    if (!editor || !editor.wave.contains(event.target)) return;
    event.preventDefault();
    addCut(frameAt(event.clientX));
  });

  document.addEventListener("click", (event) => {
    const region = event.target.closest(".chop-region");
    // The second click of a double-click adds a cut; it does not play the slice again.
    if (event.detail > 1) return;
    if (editor && region && editor.root.contains(region)) playSlice(Number(region.dataset.index));
  });

  // Keys: the pad layout plays slices; Delete and the arrows edit the selected cut.

  document.addEventListener("keydown", (event) => {
    if (!editor || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea")) return;
    const pad = PAD_KEYS.indexOf(event.key.toLowerCase());
    if (pad >= 0) {
      event.preventDefault();
      playSlice(pad);
      return;
    }
    if (editor.selected < 0) return;
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      removeCut(editor.selected);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      const step = Math.round(((event.shiftKey ? 10 : 1) * editor.rate) / 1000);
      moveCut(editor.selected, editor.cuts[editor.selected] + (event.key === "ArrowLeft" ? -step : step));
    } else if (event.key === "Escape") {
      editor.selected = -1;
      draw();
    }
  });

  document.addEventListener("input", (event) => {
    if (editor && event.target === editor.input) {
      editor.cuts = parseCuts(editor.input.value);
      editor.selected = -1;
      draw();
    }
  });

  // Slice order for "send to bank": drag the rows, or use their arrows.

  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    dragged = event.target.closest?.(".slice-list li");
    if (dragged) dragged.classList.add("dragging");
  });
  document.addEventListener("dragend", () => {
    dragged?.classList.remove("dragging");
    dragged = null;
  });
  document.addEventListener("dragover", (event) => {
    const over = event.target.closest?.(".slice-list li");
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) return;
    event.preventDefault();
    const rect = over.getBoundingClientRect();
    over.parentNode.insertBefore(dragged, event.clientY > rect.top + rect.height / 2 ? over.nextSibling : over);
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest(".slice-list [data-move]");
    if (!button) return;
    const row = button.closest("li");
    const other = button.dataset.move === "-1" ? row.previousElementSibling : row.nextElementSibling;
    if (!other) return;
    row.parentNode.insertBefore(row, button.dataset.move === "-1" ? other : other.nextSibling);
    button.focus();
  });

  function start(root) {
    const found = root.id === "chop-editor" ? root : root.querySelector?.("#chop-editor");
    if (found) setUp(found);
  }

  start(document);
  document.addEventListener("htmx:load", (event) => start(event.detail.elt));
})();
