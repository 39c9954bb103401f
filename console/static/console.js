// The console works without this file; it only adds comforts. No inline script anywhere
// (the Content-Security-Policy forbids it).
"use strict";

document.addEventListener("submit", (event) => {
  // Forms marked data-confirm ask first (revoking, deactivating, rotating keys).
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("change", (event) => {
  // Preview of a chosen avatar before it is uploaded.
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.preview) {
    return;
  }
  const preview = document.getElementById(input.dataset.preview);
  const file = input.files && input.files[0];
  if (preview instanceof HTMLImageElement && file) {
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      preview.src = String(reader.result);
    });
    reader.readAsDataURL(file);
  }
});

document.addEventListener("change", (event) => {
  // "Select all" of bulk actions.
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.selectAll) {
    return;
  }
  for (const other of document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) {
    if (other instanceof HTMLInputElement) {
      other.checked = box.checked;
    }
  }
});
