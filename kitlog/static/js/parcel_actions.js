/* kitlog: the table of parcel actions (services/parcel_actions.py) as the scan station
 * (station.js) and the delivery page (deliver.js) receive it, in
 * <script type="application/json" data-parcel-actions>: both pages read the rules from
 * here instead of coding them again.
 */
(function () {
  "use strict";

  /* The JSON held by the element `selector` finds: {} when there is none or it is not JSON. */
  function readJson(selector) {
    var el = document.querySelector(selector);
    try {
      return el ? JSON.parse(el.textContent) : {};
    } catch (ignored) {
      return {};
    }
  }

  /* Every action by its name, and the names of those a page offers at `place` ("station",
     "door"), in the table's order. */
  function at(place) {
    var byName = {};
    var names = [];
    (readJson("[data-parcel-actions]").actions || []).forEach(function (action) {
      byName[action.name] = action;
      if (action.places.indexOf(place) !== -1) names.push(action.name);
    });
    return { byName: byName, names: names };
  }

  window.kitlogParcelActions = { readJson: readJson, at: at };
})();
