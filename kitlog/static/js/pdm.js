/* kitlog: the post-distribution monitoring survey, with or without a signal.
 *
 * The form works without this file: a plain POST with its CSRF token, answered by the
 * server. With it:
 * - the missing items are shown only when the kit was not complete;
 * - when the outbox (outbox.js) knows answers of kind "pdm", the answers are queued
 *   there (kept on the phone, sent when there is a signal, once: the outbox gives each
 *   its idempotency key) and the page says so; otherwise the form is posted as usual.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-pdm-survey]");
  if (!form) return;

  var messages = {};
  try {
    messages = JSON.parse(form.getAttribute("data-messages") || "{}");
  } catch (e) {
    messages = {};
  }
  var items = form.querySelector("[data-pdm-items]");
  var status = form.querySelector("[data-pdm-status]");

  function chosen(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : null;
  }

  function showItems() {
    if (!items) return;
    items.hidden = chosen("received_complete") !== "no";
  }

  function outboxTakesPdm() {
    var outbox = window.kitlogOutbox;
    return !!(outbox && outbox.kinds && outbox.kinds.indexOf("pdm") >= 0);
  }

  function say(text) {
    if (!status) return;
    status.textContent = text;
    status.hidden = false;
  }

  form.querySelectorAll("[data-pdm-complete]").forEach(function (input) {
    input.addEventListener("change", showItems);
  });
  showItems();

  form.addEventListener("submit", function (event) {
    if (!outboxTakesPdm()) return; // the plain POST: the server answers
    var complete = chosen("received_complete");
    var satisfaction = chosen("satisfaction");
    if (complete === null) {
      event.preventDefault();
      say(messages.complete_required || "");
      return;
    }
    if (satisfaction === null) {
      event.preventDefault();
      say(messages.satisfaction_required || "");
      return;
    }
    event.preventDefault();
    var missing = [];
    if (complete === "no") {
      form.querySelectorAll('input[name="items_missing"]:checked').forEach(function (input) {
        missing.push(parseInt(input.value, 10));
      });
    }
    var comment = form.querySelector('[name="comment"]');
    window.kitlogOutbox
      .add({
        kind: "pdm",
        parcel: form.getAttribute("data-parcel"),
        received_complete: complete === "yes",
        items_missing: missing,
        satisfaction: parseInt(satisfaction, 10),
        comment: comment ? comment.value : "",
      })
      .then(function () {
        say(messages.saved_offline || "");
        form.querySelectorAll("input, textarea, button").forEach(function (el) {
          el.disabled = true;
        });
      })
      .catch(function () {
        form.submit(); // the phone could not keep it: send it now, as a plain form
      });
  });
})();
