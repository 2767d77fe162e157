// Progressive enhancement only: every page works without this file.
// 1. A job page polls its job's state and updates the progress bar until the job ends.
// 2. A form with data-confirm asks before it is submitted.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (box && ["queued", "running"].indexOf(box.dataset.state) >= 0) {
    var id = box.dataset.job;
    var timer = setInterval(function () {
      fetch("/jobs/" + encodeURIComponent(id) + "/state", {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) { return; }
          document.getElementById("job-state").textContent = j.state;
          document.getElementById("job-progress").value = j.progress;
          document.getElementById("job-message").textContent = j.message;
          if (["queued", "running"].indexOf(j.state) < 0) {
            clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () {});
    }, 1000);
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); }
    });
  });
})();
