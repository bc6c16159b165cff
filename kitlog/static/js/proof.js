/* kitlog: the proof of delivery in the hand-over form: a signature drawn with a finger on a
 * canvas (pointer events), or a photo of the handover from the phone's camera, shrunk on
 * the phone to at most 300 KB so that it travels with the scan, offline too.
 *
 * window.kitlogProof (on a page with a [data-proof] fieldset)
 *   need(kind)       what the parcel's round asks for: "none", "signature" or "photo"
 *   value()          {kind, image: data URL} of what was given, or null
 *   missing()        the message to show when the round's proof is not given, or ""
 *   busy()           true while a photo is being shrunk
 *   complain(text)   says what is wrong with the proof, under it
 *   reset()          clears the signature and the photo
 *
 * The page's script (deliver.js) puts value() in the scan's body (`proof`); the server
 * checks that it is a real PNG or JPEG.
 */
(function () {
  "use strict";

  var box = document.querySelector("[data-proof]");
  if (!box) return;

  var MAX_BYTES = 300 * 1024;
  var MAX_SIDE = 1280; // a photo's longest side before it is shrunk further
  var QUALITIES = [0.8, 0.65, 0.5, 0.4];

  var M = {};
  try {
    M = JSON.parse(box.getAttribute("data-proof-messages") || "{}");
  } catch (e) {
    M = {};
  }

  var signaturePanel = box.querySelector("[data-proof-panel=signature]");
  var photoPanel = box.querySelector("[data-proof-panel=photo]");
  var canvas = box.querySelector("[data-signature-pad]");
  var clearButton = box.querySelector("[data-signature-clear]");
  var photoInput = box.querySelector("[data-proof-photo-input]");
  var preview = box.querySelector("[data-proof-preview]");
  var note = box.querySelector("[data-proof-note]");
  var hint = box.querySelector("[data-proof-hint]");
  var context = canvas.getContext("2d");

  var required = "none";
  var drawn = false;
  var photo = null; // a data URL of the shrunk JPEG
  var shrinking = false;

  /* ---------- The signature pad ---------- */

  function sizeCanvas() {
    // Drawn at the screen's resolution; a resize clears it (the pad is signed again).
    var ratio = Math.min(window.devicePixelRatio || 1, 2);
    var width = canvas.clientWidth || 320;
    var height = canvas.clientHeight || 160;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    blank();
  }

  function blank() {
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.restore();
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111111";
    drawn = false;
    canvas.removeAttribute("data-signed");
  }

  function point(event) {
    var rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  var last = null;

  /* A pad sized while it was hidden is sized again before the first stroke. */
  function fitIfBlank() {
    var ratio = Math.min(window.devicePixelRatio || 1, 2);
    if (!drawn && canvas.clientWidth && Math.round(canvas.clientWidth * ratio) !== canvas.width) {
      sizeCanvas();
    }
  }

  canvas.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    fitIfBlank();
    if (canvas.setPointerCapture) {
      try {
        canvas.setPointerCapture(event.pointerId);
      } catch (e) {
        /* a synthetic pointer has no capture */
      }
    }
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fillStyle = "#111111";
    context.fill();
  });

  canvas.addEventListener("pointermove", function (event) {
    if (!last) return;
    event.preventDefault();
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    if (!drawn) {
      drawn = true;
      canvas.setAttribute("data-signed", "");
      say("");
    }
  });

  function lift() {
    last = null;
  }
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  canvas.addEventListener("pointerleave", lift);

  clearButton.addEventListener("click", function () {
    blank();
  });

  /* The signature as a PNG (a line drawing is small); as a JPEG if it were too large. */
  function signature() {
    var url = canvas.toDataURL("image/png");
    for (var i = 0; bytesOf(url) > MAX_BYTES && i < QUALITIES.length; i++) {
      url = canvas.toDataURL("image/jpeg", QUALITIES[i]);
    }
    return url;
  }

  function bytesOf(dataUrl) {
    var base64 = dataUrl.slice(dataUrl.indexOf(",") + 1);
    return Math.floor((base64.length * 3) / 4);
  }

  /* ---------- The photo: from the camera, shrunk on the phone ---------- */

  function blobToDataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        resolve(reader.result);
      };
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        resolve(image);
        URL.revokeObjectURL(url);
      };
      image.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("not an image"));
      };
      image.src = url;
    });
  }

  function encode(image, scale, quality) {
    var work = document.createElement("canvas");
    work.width = Math.max(1, Math.round(image.naturalWidth * scale));
    work.height = Math.max(1, Math.round(image.naturalHeight * scale));
    var ctx = work.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, work.width, work.height);
    ctx.drawImage(image, 0, 0, work.width, work.height);
    return new Promise(function (resolve) {
      work.toBlob(resolve, "image/jpeg", quality);
    });
  }

  /* Lower the JPEG quality step by step, then the size, until it is at most 300 KB. */
  function shrink(image) {
    var side = Math.max(image.naturalWidth, image.naturalHeight) || 1;
    var scale = Math.min(1, MAX_SIDE / side);
    var step = 0;
    function attempt() {
      return encode(image, scale, QUALITIES[step]).then(function (blob) {
        if (blob && blob.size <= MAX_BYTES) return blob;
        if (step < QUALITIES.length - 1) {
          step += 1;
        } else if (scale * side > 200) {
          scale *= 0.7;
          step = 1;
        } else {
          throw new Error("too large");
        }
        return attempt();
      });
    }
    return attempt();
  }

  photoInput.addEventListener("change", function () {
    var file = photoInput.files && photoInput.files[0];
    photo = null;
    preview.hidden = true;
    if (!file) return;
    shrinking = true;
    say(M.shrinking || "");
    loadImage(file)
      .then(shrink)
      .then(blobToDataUrl)
      .then(function (url) {
        photo = url;
        preview.src = url;
        preview.hidden = false;
        say("");
      })
      .catch(function () {
        say(M.photo_failed || "");
      })
      .then(function () {
        shrinking = false;
      });
  });

  /* ---------- Which proof ---------- */

  /* What the parcel's round asks for is what the form takes: a round that asks for no
     proof keeps the hand-over form short (household, recipient, button on one screen). */
  function chosen() {
    return required;
  }

  function showPanels() {
    var kind = chosen();
    box.hidden = kind === "none";
    signaturePanel.hidden = kind !== "signature";
    photoPanel.hidden = kind !== "photo";
    if (hint) {
      hint.textContent =
        required === "signature" ? M.need_signature || "" : required === "photo" ? M.need_photo || "" : "";
    }
    if (kind === "signature" && !drawn) sizeCanvas();
  }

  function say(text) {
    if (!note) return;
    note.textContent = text || "";
    note.hidden = !text;
  }

  window.addEventListener("resize", function () {
    if (!drawn && !signaturePanel.hidden) sizeCanvas();
  });

  window.kitlogProof = {
    need: function (kind) {
      required = kind === "signature" || kind === "photo" ? kind : "none";
      showPanels();
    },
    value: function () {
      var kind = chosen();
      if (kind === "signature" && drawn) return { kind: "signature", image: signature() };
      if (kind === "photo" && photo) return { kind: "photo", image: photo };
      return null;
    },
    missing: function () {
      if (required === "signature" && !drawn) return M.need_signature || "";
      if (required === "photo" && !photo) return M.need_photo || "";
      return "";
    },
    busy: function () {
      return shrinking;
    },
    complain: function (text) {
      say(text);
      box.scrollIntoView({ block: "nearest" });
    },
    reset: function () {
      photo = null;
      photoInput.value = "";
      preview.hidden = true;
      preview.removeAttribute("src");
      say("");
      blank();
      showPanels();
    },
  };

  window.kitlogProof.need(box.getAttribute("data-proof-required") || "none");
})();
