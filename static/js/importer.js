// Browser uploads: drop or choose files, folders and ZIPs; each file is sent on
// its own with a progress bar, and the new samples appear in the list at once.
// Without this script the form posts all files in one request and still works.
"use strict";

(function () {
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const AUDIO = /\.(wav|wave|aif|aiff|aifc|flac|mp3|ogg|oga|zip)$/i;
  const PARALLEL = 2;
  const list = document.getElementById("uploads");
  const rows = document.getElementById("sample-rows");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  // A batch is named after what was dropped: the one file, the one folder, or the first file and a count.
  const batchName = (files) => {
    if (files.length === 1) return files[0].path;
    const tops = new Set(files.map((item) => (item.path.includes("/") ? item.path.split("/")[0] : "")));
    if (tops.size === 1 && !tops.has("")) return `${[...tops][0]} (${files.length} files)`;
    return `${files[0].path.split("/").pop()} and ${files.length - 1} more`;
  };
  form.classList.add("js");

  // The system's own files in a folder (.DS_Store, ._ copies, __MACOSX, Thumbs.db) go unmentioned.
  function systemFile(path) {
    const name = path.split("/").pop();
    return name.startsWith(".") || path.includes("__MACOSX/") || /^(thumbs\.db|desktop\.ini)$/i.test(name);
  }

  function wanted(path) {
    return AUDIO.test(path.split("/").pop()) && !systemFile(path);
  }

  // Folders dropped from the desktop arrive as directory entries to walk.
  function readEntry(entry, prefix, out) {
    if (entry.isFile) {
      return new Promise((resolve) => entry.file((file) => {
        out.push({ file, path: prefix + file.name });
        resolve();
      }, resolve));
    }
    if (!entry.isDirectory) return Promise.resolve();
    const reader = entry.createReader();
    const children = [];
    return new Promise((resolve) => {
      const more = () => reader.readEntries((batch) => {
        if (!batch.length) {
          Promise.all(children.map((child) => readEntry(child, prefix + entry.name + "/", out))).then(resolve);
          return;
        }
        children.push(...batch);
        more();
      }, resolve);
      more();
    });
  }

  async function droppedFiles(dataTransfer) {
    const out = [];
    const entries = [...dataTransfer.items]
      .map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry())
      .filter(Boolean);
    if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, path: file.name }));
    await Promise.all(entries.map((entry) => readEntry(entry, "", out)));
    return out;
  }

  function post(url, data, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", url);
      request.setRequestHeader("X-CSRFToken", csrf);
      request.responseType = "json";
      if (onProgress) request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
      request.onload = () => (request.response ? resolve(request.response) : reject(new Error("The server sent no answer.")));
      request.onerror = () => reject(new Error("The connection to the server was lost."));
      request.send(data);
    });
  }

  function addLine(path) {
    const line = document.createElement("li");
    line.innerHTML = '<span class="upload-name"></span><progress max="1" value="0"></progress><span class="upload-status muted">waiting</span>';
    line.querySelector(".upload-name").textContent = path;
    list.prepend(line);
    return line;
  }

  // "25 imported, 1 already in the library, 1 failed": an archive's files by outcome.
  function archiveSummary(items) {
    const outcomes = [["imported", "imported"], ["restored", "restored from the trash"], ["duplicate", "already in the library"], ["failed", "failed"]];
    const parts = outcomes
      .map(([status, words]) => [items.filter((item) => item.status === status).length, words])
      .filter(([count]) => count > 0)
      .map(([count, words]) => `${count} ${words}`);
    return `${items.length} files in the archive: ${parts.join(", ")}`;
  }

  function showResult(line, answer) {
    const status = line.querySelector(".upload-status");
    line.querySelector("progress").value = 1;
    if (answer.error) {
      status.textContent = answer.error;
      status.className = "upload-status status-failed";
      return;
    }
    const failed = answer.items.filter((item) => item.status === "failed");
    const first = failed[0] || answer.items[0];
    status.className = "upload-status status-" + (first ? first.status : "done");
    status.textContent = answer.items.length > 1 ? archiveSummary(answer.items) : (first ? first.message || first.label : "done");
    if (answer.rows.trim()) {
      document.getElementById("empty-library")?.remove();
      const holder = document.createElement("tbody");
      holder.innerHTML = answer.rows;
      const count = document.getElementById("sample-count");
      // A count that stopped at its limit ("10,000+") has no data-count to add to.
      if (count && count.dataset.count) {
        const total = Number(count.dataset.count || 0) + holder.children.length;
        count.dataset.count = total;
        count.textContent = total.toLocaleString("en-US");
      }
      for (const row of [...holder.children].reverse()) {
        rows.prepend(row);
        // Only the new rows: processing the table again would start a second poll on old ones.
        window.htmx && htmx.process(row);
      }
    }
  }

  async function upload(chosen) {
    const files = chosen.filter((item) => wanted(item.path));
    const notAudio = chosen.filter((item) => !wanted(item.path) && !systemFile(item.path)).length;
    if (!files.length) {
      addLine("Nothing to import").querySelector(".upload-status").textContent = "Choose WAV, AIFF, FLAC, MP3, OGG or ZIP files.";
      return;
    }
    const start = new FormData();
    start.append("file_count", files.length);
    start.append("total_bytes", files.reduce((sum, item) => sum + item.file.size, 0));
    start.append("name", batchName(files));
    let batch;
    try {
      batch = await post(form.dataset.startUrl, start);
    } catch (error) {
      batch = { error: error.message };
    }
    if (batch.error) {
      addLine("Upload").querySelector(".upload-status").textContent = batch.error;
      return;
    }
    const fileUrl = form.dataset.fileUrl.replace("/0/", `/${batch.batch}/`);
    const queue = files.map((item) => ({ ...item, line: addLine(item.path) }));
    async function worker() {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const data = new FormData();
        data.append("file", item.file, item.file.name);
        data.append("path", item.path);
        item.line.querySelector(".upload-status").textContent = "uploading";
        try {
          showResult(item.line, await post(fileUrl, data, (share) => { item.line.querySelector("progress").value = share; }));
        } catch (error) {
          showResult(item.line, { error: error.message });
        }
      }
    }
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const summary = await post(form.dataset.finishUrl.replace("/0/", `/${batch.batch}/`), new FormData());
    const done = addLine("Import finished");
    done.querySelector("progress").value = 1;
    done.querySelector(".upload-status").innerHTML =
      `${summary.imported} imported, ${summary.duplicates} already there, ${summary.restored} restored, ${summary.failed} failed` +
      (notAudio ? `, ${notAudio} not audio and left out` : "") + ` · <a href="${summary.batch_url}">details</a>`;
  }

  form.addEventListener("change", (event) => {
    if (event.target.type !== "file") return;
    const files = [...event.target.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    event.target.value = "";
    upload(files);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  ["dragenter", "dragover"].forEach((name) => form.addEventListener(name, (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  }));
  ["dragleave", "drop"].forEach((name) => form.addEventListener(name, () => form.classList.remove("dragging")));
  form.addEventListener("drop", async (event) => {
    event.preventDefault();
    upload(await droppedFiles(event.dataTransfer));
  });
})();
