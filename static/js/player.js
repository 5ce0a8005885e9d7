// Auditioning: click a row or press Space to play, Up/Down to move (and play
// at once when auto-preview is on), click a waveform to jump. One <audio>
// element plays everything; the waveform's playhead follows it.
"use strict";

(function () {
  const audio = document.getElementById("audition") || document.querySelector(".player audio");
  if (!audio) return;
  let current = null; // the element (row or player card) whose sound is loaded

  function playheadOf(element) {
    return element && element.querySelector(".playhead");
  }

  function markPlaying(element, playing) {
    element.classList.toggle("playing", playing);
    const button = element.querySelector(".play-button");
    if (button) {
      button.textContent = playing ? "❚❚" + (button.dataset.long ? " Pause" : "") : "▶" + (button.dataset.long ? " Play" : "");
      button.setAttribute("aria-label", playing ? "Pause" : "Play");
    }
  }

  // Loops at another tempo: the kit's (on a kit page) or the "play loops at" setting.
  // The server stretches a loop once per tempo, in the background; until it is
  // ready the loop plays as it is and its row says "stretching".
  const tempoInput = document.getElementById("play-bpm");
  const STORED = "sp404.playBpm";
  const stretched = new Map(); // "status URL|bpm" -> the stretched audio's URL
  if (tempoInput) {
    tempoInput.value = localStorage.getItem(STORED) || "";
    tempoInput.addEventListener("change", () => {
      const bpm = Number(tempoInput.value);
      if (bpm > 0) localStorage.setItem(STORED, String(bpm));
      else localStorage.removeItem(STORED);
    });
  }

  function targetTempo(element) {
    const own = Number(element.dataset.tempo);
    if (!own || !element.dataset.stretchUrl) return 0;
    const kit = document.querySelector("[data-play-bpm]");
    const bpm = Number(kit ? kit.dataset.playBpm : localStorage.getItem(STORED));
    return bpm > 0 && Math.abs(bpm - own) >= 0.01 ? bpm : 0;
  }

  function sourceOf(element) {
    const bpm = targetTempo(element);
    if (!bpm) return element.dataset.audioUrl;
    const key = `${element.dataset.stretchUrl}|${bpm}`;
    if (stretched.has(key)) return stretched.get(key);
    awaitStretch(element, bpm, key);
    return element.dataset.audioUrl;
  }

  const STRETCH_WAIT_ASKS = 150; // 60 s at 0.4 s: no worker running, or a long queue.

  function awaitStretch(element, bpm, key) {
    if (element.classList.contains("stretching")) return;
    element.classList.add("stretching");
    let asks = 0;
    const ask = () => fetch(`${element.dataset.stretchUrl}?bpm=${bpm}`, { headers: { Accept: "application/json" } })
      .then((response) => response.json())
      .then((answer) => {
        const waiting = answer.state === "stretching" && document.body.contains(element);
        if (waiting && ++asks < STRETCH_WAIT_ASKS) return setTimeout(ask, 400);
        element.classList.remove("stretching");
        if (answer.state !== "ready") return;
        stretched.set(key, answer.url);
        // Playing the original meanwhile: carry on from the same place in the bar.
        if (current === element && !audio.paused) {
          const fraction = audio.duration ? audio.currentTime / audio.duration : 0;
          load(element);
          audio.addEventListener("loadedmetadata", () => { audio.currentTime = fraction * audio.duration; }, { once: true });
          audio.play().catch(() => {});
        }
      })
      .catch(() => element.classList.remove("stretching"));
    ask();
  }

  function load(element) {
    const source = sourceOf(element);
    if (current === element && audio.dataset.source === source) return;
    if (current && current !== element) {
      markPlaying(current, false);
      const old = playheadOf(current);
      if (old) old.hidden = true;
    }
    current = element;
    audio.src = source;
    audio.dataset.source = source;
    audio.currentTime = 0;
  }

  function play(element, fraction) {
    load(element);
    const start = () => {
      if (fraction !== undefined && audio.duration) audio.currentTime = fraction * audio.duration;
      audio.play().catch(() => {});
    };
    if (fraction !== undefined && !audio.duration) audio.addEventListener("loadedmetadata", start, { once: true });
    start();
    const played = element.dataset.playedUrl;
    if (played) {
      const csrf = document.querySelector("[name=csrfmiddlewaretoken]");
      fetch(played, { method: "POST", headers: csrf ? { "X-CSRFToken": csrf.value } : {} }).catch(() => {});
    }
  }

  function toggle(element) {
    if (current === element && !audio.paused) audio.pause();
    else play(element);
  }

  audio.addEventListener("play", () => current && markPlaying(current, true));
  audio.addEventListener("pause", () => current && markPlaying(current, false));
  audio.addEventListener("ended", () => current && markPlaying(current, false));
  audio.addEventListener("timeupdate", () => {
    const head = playheadOf(current);
    if (!head || !audio.duration) return;
    head.hidden = false;
    head.style.left = `${(100 * audio.currentTime) / audio.duration}%`;
  });

  document.addEventListener("click", (event) => {
    const box = event.target.closest(".wave-box");
    const owner = event.target.closest("[data-audio-url]");
    if (!owner) return;
    if (box) {
      const rect = box.getBoundingClientRect();
      select(owner);
      play(owner, Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1));
      return;
    }
    if (event.target.closest(".play-button")) {
      select(owner);
      toggle(owner);
      return;
    }
    // A click on a row's empty space plays it; links and controls in the row keep
    // their jobs. (The rows sit inside the bulk-action form: only what is in the row counts.)
    const control = event.target.closest("a, button, input, select, textarea, label, form");
    if (owner.matches("tr") && !(control && owner.contains(control))) {
      select(owner);
      toggle(owner);
    }
  });

  // Keyboard auditioning on the library list.
  function rows() {
    return [...document.querySelectorAll("#sample-rows tr[data-audio-url]")];
  }

  function select(row) {
    if (!row.matches("tr")) return;
    rows().forEach((other) => other.classList.toggle("selected", other === row));
    row.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea, [contenteditable]") || event.altKey || event.ctrlKey || event.metaKey) return;
    const list = rows();
    const selected = list.find((row) => row.classList.contains("selected"));
    if (event.key === " " || event.key === "Spacebar") {
      const target = selected || list[0] || document.querySelector(".player[data-audio-url]");
      if (!target) return;
      event.preventDefault();
      if (target.matches("tr")) select(target);
      toggle(target);
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && list.length) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      const index = selected ? list.indexOf(selected) + step : 0;
      const next = list[Math.min(Math.max(index, 0), list.length - 1)];
      select(next);
      const auto = document.getElementById("auto-preview");
      if (!auto || auto.checked) play(next);
      else load(next);
    }
  });

  // New results replace the rows: forget a row that is gone.
  document.body.addEventListener("htmx:afterSwap", () => {
    if (current && !document.body.contains(current)) {
      audio.pause();
      current = null;
    }
  });
})();

// "All" ticks every sample on the page for a bulk action.
document.addEventListener("change", (event) => {
  if (event.target.id !== "select-all") return;
  document.querySelectorAll("#sample-rows input[name=samples]").forEach((box) => { box.checked = event.target.checked; });
});

// The bulk bar shows the tag/genre box or the kit menu only for the actions that use them.
function showBulkInputs() {
  const action = document.getElementById("bulk-action");
  if (!action) return;
  document.querySelectorAll("[data-for-actions]").forEach((input) => {
    input.hidden = !input.dataset.forActions.split(" ").includes(action.value);
  });
}
document.addEventListener("change", (event) => { if (event.target.id === "bulk-action") showBulkInputs(); });
document.addEventListener("DOMContentLoaded", showBulkInputs);
document.body.addEventListener("htmx:afterSwap", showBulkInputs);
