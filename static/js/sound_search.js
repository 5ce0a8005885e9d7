// Searching with a sound: a file dropped on the search box, or a few seconds
// recorded from the microphone, is posted with the current filters and the
// library answers with its nearest samples. Recordings are decoded by the
// browser and sent as 16-bit WAV, which the server reads like any sample.
"use strict";

(function () {
  const form = document.getElementById("sound-search");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const recordButton = form.querySelector(".sound-record");
  const note = form.querySelector(".sound-record-note");
  const RECORD_SECONDS = 5;

  function send(file) {
    const chosen = new DataTransfer();
    chosen.items.add(file);
    input.files = chosen.files;
    // The filters may have changed since the page loaded (they update the address).
    form.action = form.action.split("?")[0] + window.location.search;
    form.requestSubmit();
  }

  const box = document.getElementById("id_q");
  if (box) {
    const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
    box.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      box.classList.add("drop-target");
    });
    box.addEventListener("dragleave", () => box.classList.remove("drop-target"));
    box.addEventListener("drop", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      box.classList.remove("drop-target");
      const file = event.dataTransfer.files[0];
      if (file) send(file);
    });
  }

  form.addEventListener("submit", () => {
    form.action = form.action.split("?")[0] + window.location.search;
  });

  // Recording: browsers give the microphone only to secure pages (HTTPS, or this computer).
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia || !window.MediaRecorder) {
    note.hidden = false;
    note.textContent =
      "Recording needs the page on HTTPS or opened on this computer (localhost): browsers " +
      "allow the microphone nowhere else. Drop or choose a file instead.";
    return;
  }
  recordButton.hidden = false;

  function wavFile(buffer) {
    const channels = Math.min(buffer.numberOfChannels, 2);
    const frames = buffer.length;
    const bytes = new DataView(new ArrayBuffer(44 + frames * channels * 2));
    const text = (offset, value) => [...value].forEach((c, i) => bytes.setUint8(offset + i, c.charCodeAt(0)));
    text(0, "RIFF");
    bytes.setUint32(4, 36 + frames * channels * 2, true);
    text(8, "WAVEfmt ");
    bytes.setUint32(16, 16, true);
    bytes.setUint16(20, 1, true); // PCM
    bytes.setUint16(22, channels, true);
    bytes.setUint32(24, buffer.sampleRate, true);
    bytes.setUint32(28, buffer.sampleRate * channels * 2, true);
    bytes.setUint16(32, channels * 2, true);
    bytes.setUint16(34, 16, true);
    text(36, "data");
    bytes.setUint32(40, frames * channels * 2, true);
    const data = [...Array(channels).keys()].map((c) => buffer.getChannelData(c));
    let offset = 44;
    for (let frame = 0; frame < frames; frame++) {
      for (let c = 0; c < channels; c++) {
        const value = Math.max(-1, Math.min(1, data[c][frame]));
        bytes.setInt16(offset, value < 0 ? value * 0x8000 : value * 0x7fff, true);
        offset += 2;
      }
    }
    return new File([bytes.buffer], "recording.wav", { type: "audio/wav" });
  }

  recordButton.addEventListener("click", async () => {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      note.hidden = false;
      note.textContent = "The microphone was not allowed, so nothing was recorded.";
      return;
    }
    const recorder = new MediaRecorder(stream);
    const parts = [];
    recorder.addEventListener("dataavailable", (event) => parts.push(event.data));
    recorder.addEventListener("stop", async () => {
      stream.getTracks().forEach((track) => track.stop());
      recordButton.disabled = false;
      recordButton.textContent = `● Record ${RECORD_SECONDS} s`;
      const context = new AudioContext();
      const buffer = await context.decodeAudioData(await new Blob(parts).arrayBuffer());
      send(wavFile(buffer));
    });
    recorder.start();
    recordButton.disabled = true;
    recordButton.textContent = "● Recording…";
    setTimeout(() => recorder.stop(), RECORD_SECONDS * 1000);
  });
})();
