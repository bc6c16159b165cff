/* kitlog: feedback recorded through the outbox, with or without a signal.
 *
 * Any form with [data-feedback-form] (fields category, channel, household, parcel,
 * sensitive, text; a name may carry a form's prefix, "feedback-text") is sent as a
 * "feedback" entry of window.kitlogOutbox (outbox.js) when the page has the outbox and
 * the messages of feedback_strings() (templates/_macros/outbox.html): the entry is kept
 * on the phone and sent when there is a signal, and the form says so, then shows the
 * feedback's number once the server has recorded it, or why it refused it. A page without
 * them posts the form as it is: this file does nothing there, nor on a page with no such
 * form (base.html loads it on every page).
 *
 * A form with [data-feedback-door] is the delivery page's (templates/door/deliver.html):
 * it records feedback for the household of the parcel shown, which the page fills from
 * the server or, with no signal, from a saved trip (deliver.js); without the outbox it
 * stays hidden, since the feedback pages record it then.
 */
(function () {
  "use strict";

  var TONES = { waiting: "alert-warning", ok: "alert-ok", duplicate: "alert-ok" };
  // How long the delivery page shows again what the phone last recorded for a parcel.
  var SHOWN_AGAIN_MS = 12 * 3600 * 1000;

  var watched = {}; // idempotency key -> the form that queued it

  function outbox() {
    return window.kitlogOutbox || null;
  }

  function strings() {
    var el = document.querySelector("[data-feedback-strings]");
    if (!el) return null;
    try {
      return JSON.parse(el.textContent);
    } catch (ignored) {
      return null;
    }
  }

  function say(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] != null ? values[key] : "";
    });
  }

  function shortOf(code) {
    return String(code || "").toUpperCase().replace(/[^0-9A-Z]/g, "");
  }

  function inputs(form, name) {
    return form.querySelectorAll('[name="' + name + '"], [name$="-' + name + '"]');
  }

  /* A field's value: a radio group's choice, a checkbox's true or false, else the text. */
  function valueOf(form, name) {
    var found = inputs(form, name);
    if (!found.length) return undefined;
    var first = found[0];
    if (first.type === "radio") {
      var checked = Array.prototype.filter.call(found, function (el) {
        return el.checked;
      })[0];
      return checked ? checked.value : "";
    }
    if (first.type === "checkbox") return first.checked;
    return String(first.value || "").trim();
  }

  /* The household and parcel a door form is for: the parcel the delivery page shows. */
  function subject(form) {
    var panel = form.closest("[data-parcel]") || document.querySelector("[data-parcel]");
    var read = function (name) {
      var el = panel && panel.querySelector('[data-field="' + name + '"]');
      return el ? el.textContent.trim() : "";
    };
    return { household: read("household"), parcel: read("code") };
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-js-error]").forEach(function (el) {
      var box = el.parentNode;
      el.remove();
      if (box && box.classList) box.classList.remove("has-error");
    });
  }

  function complain(form, name, text) {
    var input = inputs(form, name)[0];
    if (!input) return;
    var box = input.closest("fieldset, .field") || input.parentNode;
    var error = document.createElement("div");
    error.className = "field-error";
    error.setAttribute("data-js-error", "");
    error.setAttribute("role", "alert");
    var p = document.createElement("p");
    p.textContent = text;
    error.appendChild(p);
    box.appendChild(error);
    box.classList.add("has-error");
    input.focus();
  }

  function outcomeOf(form) {
    var el = form.querySelector("[data-feedback-outcome]");
    if (el) return el;
    el = document.createElement("p");
    el.className = "alert";
    el.setAttribute("data-feedback-outcome", "");
    el.setAttribute("role", "status");
    el.setAttribute("aria-live", "polite");
    el.hidden = true;
    var button = form.querySelector("button[type=submit], [type=submit]");
    form.insertBefore(el, button || null);
    return el;
  }

  function show(form, state, text) {
    var el = outcomeOf(form);
    el.hidden = !state;
    el.className = "alert door-feedback-outcome " + (TONES[state] || "alert-error");
    el.setAttribute("data-state", state || "");
    el.textContent = text || "";
  }

  /* What became of a queued entry, in the form that queued it. */
  function render(form, entry, lastSync) {
    var M = strings() || {};
    var state = entry.state || "waiting";
    var number = (entry.answer && entry.answer.number) || "";
    var el = outcomeOf(form);
    el.setAttribute("data-number", number);
    el.setAttribute("data-key", entry.idempotency_key || "");
    if (state === "ok" || state === "duplicate") {
      show(form, state, say(M[state], { number: number }));
    } else if (state === "waiting") {
      show(form, "waiting", lastSync && lastSync.error === "login" ? M.login : M.waiting);
    } else {
      show(form, state, say(M.refused, { detail: entry.detail || "" }));
    }
  }

  function send(form) {
    var box = outbox();
    var M = strings();
    clearErrors(form);
    var values = {
      kind: "feedback",
      category: valueOf(form, "category") || "",
      channel: valueOf(form, "channel") || "officer",
      text: valueOf(form, "text") || "",
      sensitive: valueOf(form, "sensitive") === true,
    };
    var about = form.hasAttribute("data-feedback-door")
      ? subject(form)
      : { household: valueOf(form, "household"), parcel: valueOf(form, "parcel") };
    if (about.household) values.household = about.household;
    if (about.parcel) values.parcel = about.parcel;
    if (!values.category) {
      complain(form, "category", M.category_required);
      return;
    }
    if (!values.text) {
      complain(form, "text", M.text_required);
      return;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    box.add(values).then(
      function (entry) {
        watched[entry.idempotency_key] = form;
        form.reset();
        render(form, entry, box.lastSync);
        if (button) button.disabled = false;
      },
      function () {
        show(form, "error", M.save_failed);
        if (button) button.disabled = false;
      }
    );
  }

  /* The door form: shown with the outbox, for the parcel shown; what the phone recorded
     for that parcel is shown again (after a reload with no signal, say). */
  function startDoor(form) {
    var details = form.closest("[data-door-feedback]");
    var forLine = form.querySelector("[data-feedback-for]");
    var shownFor = null;
    function refresh() {
      var M = strings() || {};
      var about = subject(form);
      if (forLine) {
        forLine.textContent = about.parcel
          ? say(M.for, about)
          : about.household
            ? say(M.for_household, about)
            : "";
      }
      if (shownFor !== null && shownFor !== about.parcel) {
        form.reset();
        clearErrors(form);
        show(form, null, "");
        if (details) details.open = false;
      }
      shownFor = about.parcel;
      recall(form, about.parcel);
    }
    if (details) details.hidden = false;
    refresh();
    var panel = form.closest("[data-parcel]");
    var code = panel && panel.querySelector('[data-field="code"]');
    if (code && window.MutationObserver) {
      new MutationObserver(refresh).observe(code, { childList: true, characterData: true, subtree: true });
    }
  }

  function recall(form, parcel) {
    var box = outbox();
    if (!box || !box.recent || !parcel) return;
    box.recent(50).then(function (entries) {
      var newest = (entries || []).filter(function (e) {
        return (
          e.kind === "feedback" &&
          shortOf(e.parcel) === shortOf(parcel) &&
          Date.now() - (e.added_at || 0) < SHOWN_AGAIN_MS
        );
      })[0];
      if (!newest || shortOf(subject(form).parcel) !== shortOf(parcel)) return;
      watched[newest.idempotency_key] = form;
      render(form, newest, box.lastSync);
    });
  }

  function start() {
    var forms = document.querySelectorAll("[data-feedback-form]");
    var box = outbox();
    if (!forms.length || !box || !strings()) return; // the forms are posted as they are
    forms.forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        send(form);
      });
      if (form.hasAttribute("data-feedback-door")) startDoor(form);
    });
    if (box.on) {
      box.on("change", function (info) {
        (info.entries || []).forEach(function (entry) {
          var form = watched[entry.idempotency_key];
          if (form) render(form, entry, info.lastSync);
        });
        if (info.lastSync && info.lastSync.error === "login") {
          // still waiting: say why, in each form that queued something
          Object.keys(watched).forEach(function (key) {
            var form = watched[key];
            var el = outcomeOf(form);
            if (el.getAttribute("data-key") === key && el.getAttribute("data-state") === "waiting") {
              show(form, "waiting", (strings() || {}).login);
            }
          });
        }
      });
    }
  }

  // base.html loads this file before the page's own scripts (outbox.js among them):
  // start once they have all run.
  if (document.readyState === "complete") {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
