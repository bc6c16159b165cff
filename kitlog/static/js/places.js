/* kitlog: Indonesia's official places as pick-lists that work on a phone.
 *
 * A form's places (templates/_macros/places.html: a text field per level, from the
 * province down, and hidden code fields) work without this file: the names are typed and
 * the server matches them, offering its suggestions when a name is unknown or means more
 * than one place. With it, each text field is a combobox (the WAI-ARIA pattern, with a
 * listbox): it lists the places of its level under the place picked above it, from
 * GET /api/v1/places, narrowed as the user types; a tap, a click, or the arrow keys and
 * Enter pick one. The code of the deepest place named goes in the hidden field that
 * carries its level (village_code, regency_code, ...), when that place was picked; the
 * code fields are disabled until this file runs, so a page without it never sends a code
 * that the names typed no longer match.
 */
(function () {
  "use strict";

  var LEVELS = ["province", "regency", "district", "village"];
  var DELAY = 150; // ms after the last key before the list is asked for
  var cache = {}; // url -> Promise of the places

  function say(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] != null ? values[key] : "";
    });
  }

  // What a name is, whatever its case, accents and spacing: "Gedok-Kulon" = "gedok kulon".
  function key(text) {
    var folded = String(text || "").toLowerCase();
    if (folded.normalize) folded = folded.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    return folded.replace(/[^a-z0-9]+/g, "");
  }

  function load(url, params) {
    var query = Object.keys(params)
      .map(function (name) {
        return encodeURIComponent(name) + "=" + encodeURIComponent(params[name]);
      })
      .join("&");
    var address = url + "?" + query;
    if (!cache[address]) {
      cache[address] = fetch(address, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (body) {
          return body.items || [];
        });
      cache[address].catch(function () {
        delete cache[address]; // asked again next time (the signal may be back)
      });
    }
    return cache[address];
  }

  function setUp(root) {
    var url = root.getAttribute("data-places-url");
    var M = {};
    try {
      M = JSON.parse(root.getAttribute("data-places-messages") || "{}");
    } catch (e) {
      M = {};
    }
    var boxes = [];
    LEVELS.forEach(function (level) {
      var input = root.querySelector('input[data-place-level="' + level + '"]');
      // a field the form locks (an open round's area) stays as it is
      if (input && !input.disabled) boxes.push(combobox(input, level, boxes.length));
    });
    if (!boxes.length) return;
    var codes = Array.prototype.slice.call(root.querySelectorAll("input[data-place-code]"));
    codes.forEach(function (input) {
      input.disabled = false;
    });

    /* ---------- The code fields: the deepest place named, when it was picked ---------- */

    function syncCodes() {
      var deepest = null;
      boxes.forEach(function (box) {
        if (box.input.value.trim()) deepest = box;
      });
      // every place named above it is picked, and is one of its parents
      var whole =
        deepest &&
        deepest.picked &&
        boxes.every(function (box) {
          if (box.index >= deepest.index || !box.input.value.trim()) return true;
          return box.picked && deepest.picked.code.indexOf(box.picked.code + ".") === 0;
        });
      codes.forEach(function (input) {
        var levels = (input.getAttribute("data-place-code") || "").split(" ");
        input.value = whole && levels.indexOf(deepest.level) >= 0 ? deepest.picked.code : "";
      });
    }

    /* The places a code stands for are taken as picked, named as the fields name them:
       the page's own code (a household being corrected, a refused form sent back). */
    function adopt(code) {
      var parts = String(code || "").split(".");
      boxes.forEach(function (box) {
        var depth = LEVELS.indexOf(box.level) + 1;
        var name = box.input.value.trim();
        if (depth <= parts.length && name && !box.picked) {
          box.picked = { code: parts.slice(0, depth).join("."), name: name, level: box.level };
        }
      });
    }

    function uncheckPicks() {
      root.querySelectorAll("input[name=place_pick]").forEach(function (radio) {
        radio.checked = false;
      });
    }

    /* ---------- One combobox ---------- */

    function combobox(input, level, index) {
      var field = input.closest(".field") || input.parentNode;
      field.classList.add("place-field");
      var label = input.id ? root.querySelector('label[for="' + input.id + '"]') : null;
      var list = document.createElement("ul");
      list.id = (input.id || level) + "-places";
      list.className = "place-list";
      list.setAttribute("role", "listbox");
      if (label) {
        if (!label.id) label.id = input.id + "-label";
        list.setAttribute("aria-labelledby", label.id);
      }
      list.hidden = true;
      input.insertAdjacentElement("afterend", list);
      var note = document.createElement("p");
      note.className = "hint place-note visually-hidden";
      note.setAttribute("role", "status");
      note.setAttribute("data-place-note", level);
      list.insertAdjacentElement("afterend", note);
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", list.id);
      var box = {
        level: level,
        index: index,
        input: input,
        list: list,
        note: note,
        picked: null,
        was: null, // the place picked before the name was changed
        items: [],
        active: -1,
        asked: 0,
        timer: null,
        loading: false, // a list asked for and not answered yet
      };

      input.addEventListener("input", function () {
        if (box.picked) box.was = box.picked;
        box.picked = null;
        uncheckPicks();
        syncCodes();
        clearTimeout(box.timer);
        box.timer = setTimeout(function () {
          box.timer = null;
          show(box);
        }, DELAY);
      });
      input.addEventListener("click", function () {
        if (list.hidden) show(box);
      });
      input.addEventListener("keydown", function (event) {
        keys(box, event);
      });
      input.addEventListener("blur", function () {
        clearTimeout(box.timer);
        box.timer = null;
        close(box);
        tell(box, "", false);
        if (!box.picked && input.value.trim()) settle(box);
      });
      // A press on the list keeps the focus in the field (the pick then happens on click).
      list.addEventListener("mousedown", function (event) {
        event.preventDefault();
      });
      list.addEventListener("click", function (event) {
        var option = event.target.closest("[role=option]");
        if (!option) return;
        var place = box.items[Number(option.getAttribute("data-index"))];
        if (place) pick(box, place);
      });
      return box;
    }

    function tell(box, text, visible) {
      box.note.textContent = text || "";
      box.note.classList.toggle("visually-hidden", !visible);
    }

    function open(box) {
      box.list.hidden = false;
      box.input.setAttribute("aria-expanded", "true");
    }

    function close(box) {
      box.list.hidden = true;
      box.input.setAttribute("aria-expanded", "false");
      box.input.removeAttribute("aria-activedescendant");
      box.active = -1;
    }

    /* The place above, picked (or found from its name): what this list is under. */
    function parentOf(box) {
      if (box.index === 0) return Promise.resolve(null);
      var above = boxes[box.index - 1];
      if (above.picked) return Promise.resolve(above.picked);
      if (!above.input.value.trim()) return Promise.reject(new Error("parent"));
      return settle(above).then(function (picked) {
        if (!picked) throw new Error("parent");
        return picked;
      });
    }

    /* Ask for the list of the box's level (under its parent, narrowed by what is typed). */
    function fetchFor(box) {
      return parentOf(box).then(function (parent) {
        var params = { level: box.level };
        if (parent) params.parent = parent.code;
        var typed = box.picked ? "" : box.input.value.trim();
        if (typed) params.q = typed;
        return load(url, params);
      });
    }

    function show(box) {
      var asked = ++box.asked;
      box.loading = true;
      tell(box, M.loading, false);
      return fetchFor(box).then(
        function (items) {
          if (asked !== box.asked) return;
          box.loading = false;
          if (document.activeElement !== box.input) return;
          render(box, items);
        },
        function (error) {
          if (asked !== box.asked) return;
          box.loading = false;
          close(box);
          tell(box, error && error.message === "parent" ? M.parent_first : M.failed, true);
        }
      );
    }

    function render(box, items) {
      box.items = items;
      box.active = -1;
      box.list.textContent = "";
      items.forEach(function (place, i) {
        var option = document.createElement("li");
        option.id = box.list.id + "-" + i;
        option.className = "place-option";
        option.setAttribute("role", "option");
        option.setAttribute("data-index", String(i));
        option.setAttribute("data-code", place.code);
        var chosen = box.picked && box.picked.code === place.code;
        option.setAttribute("aria-selected", chosen ? "true" : "false");
        var name = document.createElement("span");
        name.className = "place-name";
        name.textContent = place.name;
        var code = document.createElement("span");
        code.className = "place-code";
        code.textContent = place.code;
        option.appendChild(name);
        option.appendChild(code);
        box.list.appendChild(option);
      });
      if (!items.length) {
        close(box);
        tell(box, M.none, true);
        return;
      }
      open(box);
      tell(box, say(items.length === 1 ? M.count_one : M.count_many, { num: items.length }), false);
    }

    function activate(box, index) {
      var options = box.list.querySelectorAll("[role=option]");
      if (!options.length) return;
      box.active = (index + options.length) % options.length;
      options.forEach(function (option, i) {
        option.classList.toggle("is-active", i === box.active);
      });
      var active = options[box.active];
      box.input.setAttribute("aria-activedescendant", active.id);
      active.scrollIntoView({ block: "nearest" });
    }

    function keys(box, event) {
      var shown = !box.list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!shown) {
          show(box).then(function () {
            if (!box.list.hidden) activate(box, event.key === "ArrowDown" ? 0 : -1);
          });
        } else {
          activate(box, box.active + (event.key === "ArrowDown" ? 1 : -1));
        }
      } else if (event.key === "Enter" && (box.timer || box.loading)) {
        // the list of what was just typed is not there yet: pick when it is, if it holds
        // one place (the form is not sent meanwhile)
        event.preventDefault();
        clearTimeout(box.timer);
        box.timer = null;
        show(box).then(function () {
          if (!box.list.hidden && box.items.length === 1) pick(box, box.items[0]);
        });
      } else if (event.key === "Enter" && shown) {
        var place = box.items[box.active] || (box.items.length === 1 ? box.items[0] : null);
        if (place) {
          event.preventDefault();
          pick(box, place);
        }
      } else if (event.key === "Escape" && shown) {
        event.preventDefault();
        close(box);
      }
    }

    /* Pick a place: its name in the field, its code kept; the fields below keep only
       places inside it (a name typed there stays, unless another place was picked). */
    function pick(box, place, keepRadio) {
      var before = box.picked || box.was;
      // A list still to be asked for (the last key's timer) or on its way would open
      // again over the next field: a quick thumb picks from the list before it updates.
      clearTimeout(box.timer);
      box.timer = null;
      box.asked++;
      box.loading = false;
      box.picked = { code: place.code, name: place.name, level: box.level };
      box.was = null;
      box.input.value = place.name;
      close(box);
      tell(box, "", false);
      for (var i = box.index + 1; i < boxes.length; i++) {
        var below = boxes[i];
        var inside = below.picked && below.picked.code.indexOf(place.code + ".") === 0;
        if (inside) continue;
        if (below.picked || (before && before.code !== place.code)) below.input.value = "";
        below.picked = null;
      }
      if (!keepRadio) uncheckPicks();
      syncCodes();
    }

    /* A name typed and not picked: the place it names when the list has exactly one
       (or exactly one of that very name); null otherwise. */
    function settle(box) {
      if (box.picked) return Promise.resolve(box.picked);
      var typed = box.input.value.trim();
      if (!typed) return Promise.resolve(null);
      return fetchFor(box).then(
        function (items) {
          if (box.picked || box.input.value.trim() !== typed) return box.picked;
          var same = items.filter(function (place) {
            return key(place.name) === key(typed);
          });
          var found = same.length === 1 ? same[0] : items.length === 1 ? items[0] : null;
          if (found) pick(box, found);
          return box.picked;
        },
        function () {
          return null;
        }
      );
    }

    /* A suggestion of a refused name, chosen: it is picked like a place of the list. */
    root.addEventListener("change", function (event) {
      var radio = event.target;
      if (radio.name !== "place_pick" || !radio.checked) return;
      var level = radio.getAttribute("data-place-of");
      var box = boxes.filter(function (b) {
        return b.level === level;
      })[0];
      if (!box) return;
      adopt(radio.value);
      pick(box, { code: radio.value, name: radio.getAttribute("data-place-name") }, true);
    });

    var initial = "";
    codes.forEach(function (input) {
      if (input.value.length > initial.length) initial = input.value;
    });
    adopt(initial);
    syncCodes();
  }

  document.querySelectorAll("[data-places]").forEach(setUp);
})();
