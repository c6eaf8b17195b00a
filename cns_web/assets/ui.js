/* cns recipe explorer: progressive enhancement only. Every page works without this file;
   it adds validation as you type and the bundle download (bundle page) and drag and drop
   (check page). Same-origin requests only: the page's Content-Security-Policy allows no other. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setStatus(el, text, kind) {
    el.textContent = text;
    el.className = "status" + (kind ? " " + kind : "");
  }

  function bundlePage(form) {
    var submit = document.getElementById("bundle-submit");
    var status = document.getElementById("download-status");
    var repoField = document.getElementById("repo-field");
    var warningsBox = document.getElementById("bundle-warnings");
    var okNote = document.getElementById("check-ok");
    var sequence = 0;
    if (okNote) okNote.hidden = true;
    submit.textContent = submit.getAttribute("data-js-label");

    function syncRepo() {
      var checked = form.querySelector('input[name="deployer"]:checked');
      repoField.hidden = !(checked && checked.getAttribute("data-gitops") === "true");
    }

    function showWarnings(list) {
      var ul = warningsBox.querySelector("ul");
      ul.textContent = "";
      list.forEach(function (text) {
        var li = document.createElement("li");
        li.textContent = text;
        ul.appendChild(li);
      });
      warningsBox.hidden = list.length === 0;
    }

    function showErrors(errors) {
      var first = null;
      form.querySelectorAll("[data-error-for]").forEach(function (el) {
        var name = el.getAttribute("data-error-for");
        var message = errors[name] || "";
        el.textContent = message;
        var input = document.getElementById(name);
        if (input) {
          if (message) input.setAttribute("aria-invalid", "true");
          else input.removeAttribute("aria-invalid");
        }
        if (message && !first) first = input || form.querySelector('[name="' + name + '"]');
      });
      return first;
    }

    function showCommands(data) {
      var origin = window.location.protocol + "//" + window.location.host;
      var recipe = document.getElementById("curl-recipe-url");
      var bundle = document.getElementById("curl-bundle-url");
      if (recipe && data.recipeUrl) recipe.textContent = origin + data.recipeUrl;
      if (bundle && data.bundleUrl) bundle.textContent = origin + data.bundleUrl;
    }

    function validate() {
      var mine = ++sequence;
      var query = new URLSearchParams(new FormData(form)).toString();
      return fetch(form.getAttribute("data-validate") + "?" + query, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            data = { ok: false, errors: { form: data.message || "the options could not be checked" }, warnings: [] };
          }
          if (mine === sequence) {
            showErrors(data.errors);
            showWarnings(data.warnings || []);
            showCommands(data);
          }
          return data;
        });
      });
    }

    function download(data) {
      setStatus(status, "Building the bundle…", "");
      return fetch(data.recipeUrl, { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) return response.json().then(function (e) { throw new Error(e.message); });
          return response.text();
        })
        .then(function (recipe) {
          return fetch(data.bundleUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json", Accept: "application/zip" },
            body: recipe,
          });
        })
        .then(function (response) {
          if (!response.ok) return response.json().then(function (e) { throw new Error(e.message); });
          var header = response.headers.get("X-Bundle-Warnings");
          showWarnings(header ? header.split(" | ") : []);
          var files = response.headers.get("X-Bundle-Files");
          var disposition = response.headers.get("Content-Disposition") || "";
          var match = /filename="([^"]+)"/.exec(disposition);
          var name = match ? match[1] : "bundles.zip";
          return response.blob().then(function (blob) {
            var url = URL.createObjectURL(blob);
            var link = document.createElement("a");
            link.href = url;
            link.download = name;
            link.hidden = true;
            document.body.appendChild(link);
            link.click();
            link.remove();
            setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
            setStatus(status, "Downloaded " + name + ": " + files + " files, " + blob.size + " bytes" +
              (header ? " (see the warnings above)." : "."), "done");
          });
        });
    }

    form.addEventListener("input", debounce(validate, 300));
    form.addEventListener("change", function (event) {
      if (event.target.name === "deployer") syncRepo();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      setStatus(status, "Checking the options…", "");
      validate()
        .then(function (data) {
          if (!data.ok) {
            setStatus(status, "Fix the options marked above, then download again.", "error");
            var first = showErrors(data.errors);
            if (first && first.focus) first.focus();
            return null;
          }
          return download(data);
        })
        .catch(function (error) {
          setStatus(status, "The bundle could not be built: " + error.message, "error");
        })
        .then(function () {
          submit.disabled = false;
        });
    });
    syncRepo();
  }

  function checkPage(zone) {
    var input = document.getElementById("snapshot");
    var name = document.getElementById("snapshot-name");
    function showName() {
      name.textContent = input.files.length ? "Selected: " + input.files[0].name : "";
    }
    input.addEventListener("change", showName);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () {
        zone.classList.remove("dragover");
      });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        showName();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("bundle-form");
    if (form) bundlePage(form);
    var zone = document.getElementById("dropzone");
    if (zone) checkPage(zone);
  });
})();
