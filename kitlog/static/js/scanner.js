/* kitlog scanner: QR codes from the phone camera or from a photo.
 *
 * window.kitlogScanner
 *   available() -> {ok, reason}          can this page use the camera at all?
 *   start(videoEl, onCode) -> Promise    starts the back camera in videoEl and calls
 *                                        onCode(text) for each code it reads; rejects with
 *                                        an Error whose .reason is insecure | denied |
 *                                        unavailable | busy | unsupported | decoder and
 *                                        whose .message is in the page's language
 *   stop()                               stops the camera
 *   decodeFile(file) -> Promise<string|null>   the first code in a photo, or null
 *
 * Decoding uses BarcodeDetector: the browser's own (Android Chrome) or the vendored
 * barcode-detector polyfill, whose zxing_reader.wasm kitlog serves itself: never a CDN.
 * The polyfill is loaded only when a camera or a photo is first used on a browser that
 * has no BarcodeDetector of its own, so that a page's first load does not carry it over a
 * slow network; the service worker keeps it for use with no signal. Their addresses come
 * from [data-barcode-polyfill] and [data-zxing-wasm] (templates/_macros/outbox.html
 * scanner_strings()).
 *
 * The messages come from <script type="application/json" data-scanner-strings>.
 */
(function () {
  "use strict";

  var EVERY_MS = 150; // one detect() every ~150 ms
  var SAME_CODE_MS = 2000; // the same code again only once it has been out of view this long
  var PAUSE_AFTER_HIT_MS = 700;
  var DEFAULT_WASM = "/static/vendor/zxing-wasm/zxing_reader.wasm";

  var detectorPromise = null;
  var polyfillPromise = null;
  var running = null; // {video, stream, timer, onCode, lastCode, lastSeen, pausedUntil}

  function strings() {
    var el = document.querySelector("[data-scanner-strings]");
    if (!el) return {};
    try {
      return JSON.parse(el.textContent);
    } catch (ignored) {
      return {};
    }
  }

  function failure(reason, cause) {
    var text = strings();
    var error = new Error(text[reason] || reason);
    error.reason = reason;
    error.cause = cause;
    return error;
  }

  function wasmUrl() {
    var el = document.querySelector("[data-zxing-wasm]");
    return (el && el.getAttribute("data-zxing-wasm")) || DEFAULT_WASM;
  }

  function polyfillUrl() {
    var el = document.querySelector("[data-barcode-polyfill]");
    return (el && el.getAttribute("data-barcode-polyfill")) || null;
  }

  // The browser's BarcodeDetector, or else the polyfill's, its script added to the page now.
  function loadPolyfill() {
    if (typeof window.BarcodeDetector === "function") return Promise.resolve();
    if (polyfillPromise) return polyfillPromise;
    var url = polyfillUrl();
    if (!url) return Promise.reject(failure("unsupported"));
    polyfillPromise = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = function () {
        if (typeof window.BarcodeDetector === "function") resolve();
        else reject(failure("unsupported"));
      };
      script.onerror = function (error) {
        script.remove();
        reject(failure("decoder", error));
      };
      document.head.appendChild(script);
    });
    polyfillPromise.catch(function () {
      polyfillPromise = null; // try again next time (no signal, and not kept yet)
    });
    return polyfillPromise;
  }

  // Point the polyfill at our own .wasm before it loads anything.
  function configurePolyfill() {
    var polyfill = window.BarcodeDetectionAPI;
    if (!polyfill || typeof polyfill.prepareZXingModule !== "function") return;
    var url = new URL(wasmUrl(), document.baseURI).href;
    polyfill.prepareZXingModule({
      overrides: {
        locateFile: function (path, prefix) {
          return /\.wasm$/.test(path) ? url : prefix + path;
        },
      },
    });
  }

  function detector() {
    if (detectorPromise) return detectorPromise;
    detectorPromise = loadPolyfill().then(function () {
      return new Promise(function (resolve, reject) {
        configurePolyfill();
        var formats = ["qr_code"];
        var make = function (supported) {
          try {
            var usable = supported && supported.indexOf("qr_code") !== -1 ? formats : undefined;
            resolve(usable ? new window.BarcodeDetector({ formats: usable }) : new window.BarcodeDetector());
          } catch (error) {
            reject(failure("decoder", error));
          }
        };
        if (typeof window.BarcodeDetector.getSupportedFormats === "function") {
          window.BarcodeDetector.getSupportedFormats().then(make, function () {
            make(formats);
          });
        } else {
          make(formats);
        }
      });
    });
    detectorPromise.catch(function () {
      detectorPromise = null; // try again next time (e.g. the .wasm was not reachable)
    });
    return detectorPromise;
  }

  function detect(source) {
    return detector().then(function (d) {
      return d.detect(source).then(
        function (codes) {
          for (var i = 0; i < codes.length; i++) {
            if (codes[i].rawValue) return codes[i].rawValue;
          }
          return null;
        },
        function (error) {
          throw failure("decoder", error);
        }
      );
    });
  }

  function available() {
    if (!window.isSecureContext) return { ok: false, reason: "insecure" };
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return { ok: false, reason: "unsupported" };
    }
    if (typeof window.BarcodeDetector !== "function" && !polyfillUrl()) {
      return { ok: false, reason: "unsupported" };
    }
    return { ok: true, reason: null };
  }

  function cameraFailure(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return failure("denied", error);
    }
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") {
      return failure("busy", error);
    }
    return failure("unavailable", error);
  }

  function tick() {
    var run = running;
    if (!run) return;
    var now = Date.now();
    if (now < run.pausedUntil || run.video.readyState < 2 || run.busy) {
      run.timer = window.setTimeout(tick, EVERY_MS);
      return;
    }
    run.busy = true;
    detect(run.video)
      .then(
        function (code) {
          if (running !== run) return;
          var seen = Date.now();
          if (code) {
            var repeat = code === run.lastCode && seen - run.lastSeen < SAME_CODE_MS;
            run.lastCode = code;
            run.lastSeen = seen;
            if (!repeat) {
              run.pausedUntil = seen + PAUSE_AFTER_HIT_MS;
              try {
                run.onCode(code);
              } catch (error) {
                if (window.console) console.error(error);
              }
            }
          }
        },
        function (error) {
          if (window.console) console.warn(error);
        }
      )
      .then(function () {
        run.busy = false;
        if (running === run) run.timer = window.setTimeout(tick, EVERY_MS);
      });
  }

  function start(video, onCode) {
    var check = available();
    if (!check.ok) return Promise.reject(failure(check.reason));
    stop();
    // Load the decoder while the camera starts; a decoder that cannot load is an error
    // worth showing before the user aims at a label for nothing.
    return Promise.all([
      detector(),
      navigator.mediaDevices
        .getUserMedia({ audio: false, video: { facingMode: { ideal: "environment" } } })
        .catch(function (error) {
          throw cameraFailure(error);
        }),
    ]).then(function (parts) {
      var stream = parts[1];
      video.muted = true; // iOS plays inline video only when muted and playsinline
      video.setAttribute("muted", "");
      video.setAttribute("playsinline", "");
      video.srcObject = stream;
      running = {
        video: video,
        stream: stream,
        timer: null,
        onCode: onCode,
        lastCode: null,
        lastSeen: 0,
        pausedUntil: 0,
        busy: false,
      };
      var played = video.play();
      return Promise.resolve(played)
        .catch(function (error) {
          stop();
          throw cameraFailure(error);
        })
        .then(function () {
          tick();
        });
    }, function (error) {
      throw error;
    });
  }

  function stop() {
    var run = running;
    running = null;
    if (!run) return;
    window.clearTimeout(run.timer);
    run.stream.getTracks().forEach(function (track) {
      track.stop();
    });
    run.video.srcObject = null;
  }

  function decodeFile(file) {
    if (!file) return Promise.resolve(null);
    var bitmap = window.createImageBitmap ? window.createImageBitmap(file) : Promise.resolve(file);
    return bitmap.then(function (image) {
      return detect(image).then(function (code) {
        if (image && typeof image.close === "function") image.close();
        return code;
      });
    });
  }

  // A page hidden (app switch, screen off) loses the camera on iOS: stop cleanly, and
  // let the page offer to start again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && running) {
      var video = running.video;
      stop();
      video.dispatchEvent(new CustomEvent("kitlog:camera-stopped"));
    }
  });

  window.kitlogScanner = {
    available: available,
    start: start,
    stop: stop,
    decodeFile: decodeFile,
    running: function () {
      return running !== null;
    },
  };
})();
