/*
 * houqin (后勤) progressive enhancement.
 * CSP-safe: no inline handlers, no eval; every behaviour is driven by
 * data-* attributes and delegated event listeners, so content swapped in
 * by htmx works without re-initialisation.
 *
 *   #toasts .toast        auto-dismiss after 4 s; .toast__close dismisses
 *   form[data-confirm]    confirm() before submitting (also stops htmx)
 *   [data-autosubmit]     select/checkbox: submit its form on change
 *   button[data-copy]     copy text of #<data-copy>; show data-copied for 2 s
 *   input[data-file-preview]  preview chosen files in the list it names
 *   html.is-offline       set while the browser is offline
 */
(function () {
  'use strict';

  var TOAST_DELAY = 4000;
  var TOAST_FALLBACK = 600; // remove even if no CSS transition runs
  var COPIED_DELAY = 2000;

  /* ---- service worker ------------------------------------------------ */
  if ('serviceWorker' in navigator) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {
        /* registration failure is not fatal */
      });
    });
  }

  /* ---- toasts -------------------------------------------------------- */
  function dismissToast(toast) {
    if (!toast || toast.classList.contains('toast--hide')) {
      return;
    }
    toast.classList.add('toast--hide');
    var removed = false;
    function remove() {
      if (!removed) {
        removed = true;
        toast.remove();
      }
    }
    toast.addEventListener('transitionend', remove, { once: true });
    window.setTimeout(remove, TOAST_FALLBACK);
  }

  function armToast(toast) {
    if (toast.dataset.toastArmed) {
      return;
    }
    toast.dataset.toastArmed = '1';
    window.setTimeout(function () { dismissToast(toast); }, TOAST_DELAY);
  }

  function armToastsIn(root) {
    if (!root) {
      return;
    }
    if (root.matches && root.matches('#toasts .toast')) {
      armToast(root);
    }
    if (root.querySelectorAll) {
      Array.prototype.forEach.call(root.querySelectorAll('#toasts .toast'), armToast);
    }
  }

  function initToasts() {
    armToastsIn(document);
    // Boosted navigation swaps the whole <body> (a new #toasts included) and htmx
    // fires htmx:load for every piece of new content: arm the toasts it brings.
    document.addEventListener('htmx:load', function (event) {
      armToastsIn(event.detail && event.detail.elt ? event.detail.elt : document);
    });
  }

  document.addEventListener('click', function (event) {
    var close = event.target.closest && event.target.closest('.toast__close');
    if (close) {
      event.preventDefault();
      dismissToast(close.closest('.toast'));
    }
  });

  /* ---- confirm before submit ----------------------------------------- */
  // Capture phase on document runs before htmx's listener on the form, so
  // stopping propagation also prevents the htmx request.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-confirm')) {
      return;
    }
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  /* ---- auto-submit on change ----------------------------------------- */
  document.addEventListener('change', function (event) {
    var el = event.target;
    if (!el.closest || !el.closest('[data-autosubmit]')) {
      return;
    }
    var form = el.form || el.closest('form');
    if (!form) {
      return;
    }
    if (typeof form.requestSubmit === 'function') {
      form.requestSubmit();
    } else {
      form.submit();
    }
  });

  /* ---- copy to clipboard --------------------------------------------- */
  function fallbackCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.top = '-1000px';
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e) {
      ok = false;
    }
    ta.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  document.addEventListener('click', function (event) {
    var btn = event.target.closest && event.target.closest('[data-copy]');
    if (!btn) {
      return;
    }
    var source = document.getElementById(btn.dataset.copy);
    if (!source) {
      return;
    }
    event.preventDefault();
    var text = ('value' in source && typeof source.value === 'string')
      ? source.value
      : source.textContent;
    copyText(text.trim()).then(function () {
      var label = btn.getAttribute('data-copied');
      if (!label) {
        return;
      }
      if (btn._copyTimer) {
        window.clearTimeout(btn._copyTimer);
      } else {
        // Keep the original child nodes (text and any icon) to restore later.
        btn._copyOriginal = Array.prototype.slice.call(btn.childNodes);
      }
      btn.textContent = label;
      btn._copyTimer = window.setTimeout(function () {
        btn.replaceChildren.apply(btn, btn._copyOriginal);
        btn._copyOriginal = null;
        btn._copyTimer = null;
      }, COPIED_DELAY);
    }).catch(function () {
      /* nothing sensible to do; leave the button unchanged */
    });
  });

  /* ---- file picker preview ------------------------------------------- */
  // input[type=file][data-file-preview=<list id>]: show what was chosen (images as
  // thumbnails from blob: URLs, which the CSP allows) and flag files over
  // data-max-bytes before anything is sent. The server checks everything again.
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.dataset.filePreview) {
      return;
    }
    var list = document.getElementById(input.dataset.filePreview);
    if (!list) {
      return;
    }
    Array.prototype.forEach.call(list.querySelectorAll('img'), function (img) {
      URL.revokeObjectURL(img.src);
    });
    list.replaceChildren();
    var max = parseInt(input.dataset.maxBytes || '0', 10);
    Array.prototype.forEach.call(input.files || [], function (file) {
      var item = document.createElement('li');
      item.className = 'file-picker__item';
      if (/^image\//.test(file.type)) {
        var img = document.createElement('img');
        img.alt = '';
        img.src = URL.createObjectURL(file);
        item.appendChild(img);
      } else {
        var doc = document.createElement('span');
        doc.className = 'file-picker__doc';
        doc.textContent = (file.name.split('.').pop() || '').toUpperCase().slice(0, 4);
        item.appendChild(doc);
      }
      var name = document.createElement('span');
      name.className = 'file-picker__name';
      name.textContent = file.name;
      item.appendChild(name);
      if (max && file.size > max) {
        item.classList.add('is-too-large');
        var warn = document.createElement('span');
        warn.className = 'file-picker__warn';
        warn.textContent = input.dataset.tooLarge || '';
        item.appendChild(warn);
      }
      list.appendChild(item);
    });
  });

  /* ---- online / offline ---------------------------------------------- */
  function updateOnline() {
    document.documentElement.classList.toggle('is-offline', !navigator.onLine);
  }
  window.addEventListener('online', updateOnline);
  window.addEventListener('offline', updateOnline);
  updateOnline();

  /* ---- init ---------------------------------------------------------- */
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initToasts);
  } else {
    initToasts();
  }
})();
