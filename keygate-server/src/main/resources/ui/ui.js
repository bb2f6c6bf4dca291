// Shared UI pieces: status announcements and modal dialogs.
import { h, uid } from './dom.js';

/** Announces a message in the polite live region (and shows it). */
export function announce(message, kind = 'info') {
  const s = document.getElementById('status');
  s.textContent = '';
  s.dataset.kind = kind;
  // a fresh text node so screen readers announce repeats too
  window.setTimeout(() => { s.textContent = message; }, 30);
}

/** A message for a failed call. */
export function failure(e) {
  return e && e.message ? `${e.message}${e.code ? ` (${e.code})` : ''}` : 'Something went wrong.';
}

/**
 * Opens a modal <dialog> with a form. Esc and Cancel close it; focus returns to the element that
 * opened it. onSubmit(form) may throw (the message is shown in the dialog) or return false to
 * keep it open. Resolves with the value of onSubmit, or null when cancelled.
 */
export function dialog({ title, body, submitLabel = 'OK', danger = false, cancelLabel = 'Cancel',
  onSubmit = () => true, onClose = () => {} }) {
  const opener = document.activeElement;
  const titleId = uid('dlg-title');
  const errId = uid('dlg-err');
  const err = h('p', { class: 'error', id: errId, role: 'alert' });
  const submit = h('button', { type: 'submit', class: danger ? 'danger' : null }, submitLabel);
  const cancel = cancelLabel
    ? h('button', { type: 'button', class: 'secondary', value: 'cancel' }, cancelLabel) : null;
  const form = h('form', { method: 'dialog', class: 'stack', novalidate: true },
    h('h2', { id: titleId }, title), body, err, h('div', { class: 'actions' }, cancel, submit));
  const dlg = h('dialog', { 'aria-labelledby': titleId, 'aria-describedby': errId }, form);
  document.body.appendChild(dlg);
  return new Promise((resolve) => {
    let result = null;
    if (cancel) cancel.addEventListener('click', () => dlg.close());
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      err.textContent = '';
      if (!form.checkValidity()) {
        const bad = form.querySelector(':invalid');
        err.textContent = bad && bad.validationMessage ? bad.validationMessage : 'Check the form.';
        if (bad) bad.focus();
        return;
      }
      submit.disabled = true;
      try {
        const r = await onSubmit(form);
        if (r !== false) {
          result = r === undefined ? true : r;
          dlg.close();
        }
      } catch (e) {
        err.textContent = e && e.message ? e.message : String(e);
      } finally {
        submit.disabled = false;
      }
    });
    dlg.addEventListener('close', () => {
      onClose();
      dlg.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(result);
    });
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    (first || submit).focus();
  });
}

/** A labelled form field. kind: input type, 'select' (options: [[value, label]]), 'textarea'. */
export function field(label, name, { kind = 'text', value = '', hint, options, required, attrs = {} } = {}) {
  const id = uid(`f-${name}`);
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (kind === 'select') {
    control = h('select', { id, name, 'aria-describedby': hintId, ...attrs },
      options.map(([v, l]) => h('option', { value: v, selected: String(v) === String(value) }, l)));
  } else if (kind === 'textarea') {
    control = h('textarea', { id, name, rows: 2, 'aria-describedby': hintId, ...attrs });
    control.value = value;
  } else {
    control = h('input', { id, name, type: kind, value, required, 'aria-describedby': hintId,
      spellcheck: 'false', autocomplete: 'off', ...attrs });
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}
