// The kit page: drag samples onto pads, drag pads onto pads, or select a sample and
// then a pad (touch and keyboard). Every change posts through htmx at once; the
// server answers with the changed pads, bank counters and summary. Without this
// file the links and forms on the page do the same with full page loads.
"use strict";

(function () {
  const root = document.getElementById("kit-page");
  if (!root) return;
  const canEdit = root.dataset.canEdit === "true";
  const status = document.getElementById("kit-status");
  let selected = null; // {id, name} of the sample waiting for a pad
  let clearing = null; // the pad ("A5") a first Delete asked to clear
  const CLEAR_SECONDS = 4;

  function say(message) {
    if (status) status.textContent = message;
  }

  function padOf(element) {
    return element && element.closest ? element.closest(".pad") : null;
  }

  function post(url, values, target) {
    return htmx.ajax("POST", url, { values, target: "#" + target.id, swap: "outerHTML" });
  }

  function assign(pad, sampleId, name) {
    post(root.dataset.assignUrl, { bank: pad.dataset.bank, pad_number: pad.dataset.pad, sample: sampleId }, pad);
    say(`${name || "Sample"} → pad ${pad.dataset.bank}${pad.dataset.pad}`);
  }

  function move(fromKey, pad) {
    const [fromBank, fromPad] = fromKey.split(":");
    if (fromBank === pad.dataset.bank && fromPad === pad.dataset.pad) return;
    post(root.dataset.moveUrl, { from_bank: fromBank, from_pad: fromPad, bank: pad.dataset.bank, pad_number: pad.dataset.pad }, pad);
    say(`Pad ${fromBank}${fromPad} → pad ${pad.dataset.bank}${pad.dataset.pad}`);
  }

  function clear(pad) {
    post(root.dataset.clearUrl, { bank: pad.dataset.bank, pad_number: pad.dataset.pad }, pad);
    say(`Cleared pad ${pad.dataset.bank}${pad.dataset.pad}`);
  }

  function select(item) {
    document.querySelectorAll(".picker-item.selected").forEach((other) => {
      other.classList.remove("selected");
      other.querySelector(".picker-select")?.setAttribute("aria-pressed", "false");
    });
    root.classList.toggle("placing", Boolean(item));
    if (!item) {
      selected = null;
      say("");
      return;
    }
    selected = { id: item.dataset.sampleId, name: item.dataset.sampleName };
    item.classList.add("selected");
    item.querySelector(".picker-select")?.setAttribute("aria-pressed", "true");
    say(`Placing ${selected.name}: choose a pad (Escape cancels).`);
    // On a phone the picker sits below the pads: bring the message and the pads back
    // into view, under the sticky top bar.
    const below = (document.querySelector(".topbar")?.getBoundingClientRect().bottom || 0) + 8;
    const top = status ? status.getBoundingClientRect().top : below;
    if (top < below) window.scrollTo({ top: window.scrollY + top - below, behavior: "smooth" });
  }

  function openEditor(pad) {
    const url = `${root.dataset.detailUrl}?bank=${pad.dataset.bank}&pad=${pad.dataset.pad}`;
    htmx.ajax("GET", url, { target: "#pad-editor", swap: "outerHTML" });
  }

  // A pad: place the selected sample, or else play it and open its editor.
  document.addEventListener("click", (event) => {
    const selectLink = event.target.closest(".picker-select");
    if (selectLink && canEdit) {
      event.preventDefault();
      const item = selectLink.closest(".picker-item");
      select(selected && selected.id === item.dataset.sampleId ? null : item);
      return;
    }
    const hit = event.target.closest(".pad-hit");
    if (!hit) return;
    event.preventDefault();
    const pad = padOf(hit);
    if (selected && canEdit) {
      const { id, name } = selected;
      select(null); // First: it clears the status line, which then says where the sample went.
      assign(pad, id, name);
      return;
    }
    pad.querySelector(".play-button")?.click();
    openEditor(pad);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && selected) {
      select(null);
      return;
    }
    const pad = padOf(event.target.closest && event.target.closest(".pad-hit"));
    if (pad && canEdit && pad.classList.contains("filled") && (event.key === "Delete" || event.key === "Backspace")) {
      event.preventDefault();
      // A pad's options go with its sample: one press asks, a second within a few seconds clears.
      const name = `${pad.dataset.bank}${pad.dataset.pad}`;
      if (clearing === name) {
        clearing = null;
        clear(pad);
        return;
      }
      clearing = name;
      say(`Press ${event.key} again to clear pad ${name} and its settings.`);
      setTimeout(() => {
        if (clearing === name) clearing = null;
      }, CLEAR_SECONDS * 1000);
    }
  });

  // Drag and drop: a picker sample onto a pad assigns it, a pad onto a pad moves or swaps.
  if (canEdit) {
    document.addEventListener("dragstart", (event) => {
      const item = event.target.closest && event.target.closest("[data-sample-id]");
      const pad = padOf(event.target);
      if (item) {
        event.dataTransfer.setData("text/x-sample", item.dataset.sampleId);
        event.dataTransfer.setData("text/plain", item.dataset.sampleName);
        event.dataTransfer.effectAllowed = "copy";
      } else if (pad && pad.classList.contains("filled")) {
        event.dataTransfer.setData("text/x-pad", `${pad.dataset.bank}:${pad.dataset.pad}`);
        event.dataTransfer.setData("text/plain", pad.dataset.sampleName || "");
        event.dataTransfer.effectAllowed = "move";
      }
    });
    document.addEventListener("dragover", (event) => {
      const pad = padOf(event.target);
      if (!pad) return;
      event.preventDefault();
      pad.classList.add("drop-target");
    });
    document.addEventListener("dragleave", (event) => {
      const pad = padOf(event.target);
      if (pad && !pad.contains(event.relatedTarget)) pad.classList.remove("drop-target");
    });
    document.addEventListener("drop", (event) => {
      const pad = padOf(event.target);
      if (!pad) return;
      event.preventDefault();
      pad.classList.remove("drop-target");
      const sampleId = event.dataTransfer.getData("text/x-sample");
      const fromPad = event.dataTransfer.getData("text/x-pad");
      if (sampleId) assign(pad, sampleId, event.dataTransfer.getData("text/plain"));
      else if (fromPad) move(fromPad, pad);
    });
  }

  document.body.addEventListener("kits:error", (event) => say(event.detail.message));

  // A bank tab brings the fill link and the forms' bank with it (out of band); the
  // picker's links name the bank too. They are rewritten in place, not fetched
  // again, so a drag begun from the picker right after a tab is not lost.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "bank-panel") return;
    const bank = document.getElementById("bank-panel").dataset.bank;
    for (const link of document.querySelectorAll(".picker-select")) {
      const url = new URL(link.href);
      url.searchParams.set("bank", bank);
      link.href = url.pathname + url.search;
    }
  });

  // Another tab may have changed the kit: show the pads as they are when coming back.
  document.addEventListener("visibilitychange", () => {
    const panel = document.getElementById("bank-panel");
    if (document.hidden || !panel) return;
    htmx.ajax("GET", `${root.dataset.detailUrl}?bank=${panel.dataset.bank}`, { target: "#bank-panel", swap: "outerHTML" });
  });
})();
