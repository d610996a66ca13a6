// The import page (/layers/import): upload a file, see its first rows, choose the kind,
// name, coordinate system, column mapping and mode, import; bad rows come back one by one
// with their Excel row numbers and nothing is imported.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("import-data").textContent);
  var W = data.labels;
  var state = { upload: null, ready: true };
  window.mzgisImport = state;

  var P = window.mzgisPage, el = P.el, t = P.labels(W);
  function $(id) { return document.getElementById(id); }
  function status(text, bad) { P.status($("status"), text, bad); }
  function kindOf(name) { return data.kinds.filter(function (k) { return k.kind === name; })[0]; }
  function layerOf(name) { return data.layers.filter(function (l) { return l.name === name; })[0]; }

  data.kinds.forEach(function (k) { $("kind").appendChild(el("option", { value: k.kind }, k.label + P.paren(k.kind))); });

  function mapping() {
    var body = $("mapping").querySelector("tbody");
    body.textContent = "";
    var columns = state.upload ? state.upload.columns : [];
    kindOf($("kind").value).fields.forEach(function (f) {
      var select = el("select", { "data-field": f.name, "aria-label": f.label });
      select.appendChild(el("option", { value: "" }, t("not_mapped")));
      columns.forEach(function (c) {
        var o = el("option", { value: c }, c);
        if (c === f.name || c === f.label) o.selected = true;
        select.appendChild(o);
      });
      var tr = el("tr");
      tr.appendChild(el("th", { scope: "row" }, f.label + P.paren(f.name) + (f.required ? " *" : "")));
      var td = el("td"); td.appendChild(select); tr.appendChild(td);
      body.appendChild(tr);
    });
  }

  // the confirmation of a replace, shown once the server said what it drops
  function replaceBox(plan) {
    var replace = document.querySelector("input[name=mode]:checked").value === "replace";
    if (plan === undefined || !replace) { $("replace-box").hidden = true; $("confirm-replace").checked = false; return; }
    var ids = plan.dropped.slice(0, 20).join(", ") + (plan.dropped.length > 20 ? " …" : "");
    $("confirm-replace-label").textContent = t("replace_confirm",
      { name: $("name").value, existing: plan.existing, n: plan.dropped.length, ids: ids || "—" });
    $("replace-box").hidden = false;
  }

  $("kind").addEventListener("change", function () { if (!$("name").value) $("name").value = $("kind").value; mapping(); replaceBox(); });
  $("name").addEventListener("input", function () { replaceBox(); });
  Array.prototype.forEach.call(document.querySelectorAll("input[name=mode]"), function (r) {
    r.addEventListener("change", function () { replaceBox(); });
  });

  function table(node, columns, rows) {
    var head = node.querySelector("thead"), body = node.querySelector("tbody");
    head.textContent = ""; body.textContent = "";
    var tr = el("tr");
    columns.forEach(function (c) { tr.appendChild(el("th", { scope: "col" }, c)); });
    head.appendChild(tr);
    rows.forEach(function (r) {
      var row = el("tr");
      columns.forEach(function (c) { row.appendChild(el("td", {}, r[c] === null || r[c] === undefined ? "" : r[c])); });
      body.appendChild(row);
    });
  }

  $("upload-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = new FormData();
    form.append("file", $("file").files[0]);
    status(t("loading"));
    state.ready = false;
    fetch("/layers/uploads", { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": P.csrf() } })
      .then(function (r) { return r.json().then(function (d) { return { status: r.status, body: d }; }); })
      .then(function (answer) {
        state.ready = true;
        if (answer.status !== 200) { status(t("error") + (answer.body.detail || answer.status), true); return; }
        status("");
        state.upload = answer.body;
        $("preview").hidden = false;
        $("result").hidden = true;
        $("preview-h").textContent = answer.body.filename + " · " + t("preview", { n: answer.body.rows.length, total: answer.body.total });
        table($("preview-table"), answer.body.columns, answer.body.rows);
        ["lon", "lat"].forEach(function (id) {
          var s = $(id);
          while (s.options.length > 1) s.remove(1);
          answer.body.columns.forEach(function (c) { s.appendChild(el("option", { value: c }, c)); });
        });
        mapping();
        replaceBox();
      });
  });

  function showProblems(answer) {
    var box = $("result");
    box.hidden = false;
    box.textContent = "";
    box.className = "card";
    box.appendChild(el("p", { class: "alert", role: "alert" }, t("problems", { n: answer.problems.length })));
    var wrap = el("div", { class: "table-wrap" });
    var tableNode = el("table", { class: "data", id: "problems" });
    var head = el("thead"), tr = el("tr");
    [t("excel_row"), t("field"), t("value"), t("reason")].forEach(function (h) { tr.appendChild(el("th", { scope: "col" }, h)); });
    head.appendChild(tr); tableNode.appendChild(head);
    var body = el("tbody");
    answer.problems.forEach(function (p) {
      var row = el("tr", { "data-excel-row": p.excel_row === null ? "" : String(p.excel_row) });
      var where = p.excel_row !== null ? p.excel_row : p.feature_no !== null ? t("feature_no") + " " + p.feature_no : "—";
      row.appendChild(el("th", { scope: "row" }, where));
      row.appendChild(el("td", {}, p.field));
      row.appendChild(el("td", {}, p.value === null ? "" : p.value));
      row.appendChild(el("td", {}, p.reason));
      body.appendChild(row);
    });
    tableNode.appendChild(body); wrap.appendChild(tableNode); box.appendChild(wrap);
  }

  $("import-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var map = {};
    Array.prototype.forEach.call(document.querySelectorAll("#mapping select"), function (s) {
      if (s.value) map[s.value] = s.getAttribute("data-field");
    });
    var name = $("name").value;
    var body = { name: name, kind: $("kind").value, mapping: map,
      mode: document.querySelector("input[name=mode]:checked").value };
    if ($("crs").value) body.crs = $("crs").value;
    if ($("lon").value && $("lat").value) { body.lon = $("lon").value; body.lat = $("lat").value; }
    if (body.mode === "replace" && $("confirm-replace").checked) body.confirm_replace = true;
    status(t("loading"));
    $("result").hidden = true;
    $("result").textContent = "";  // the answer of an earlier import is gone
    state.ready = false;
    P.request("POST", "/layers/uploads/" + encodeURIComponent(state.upload.upload_id) + "/import", body)
      .then(function (answer) {
        state.ready = true;
        if (answer.status === 422 && answer.body.problems) { status(""); showProblems(answer.body); return; }
        if (answer.status === 409 && answer.body.code === "confirm_replace") {
          status(t("confirm_first"), true);
          replaceBox(answer.body.plan);
          return;
        }
        if (answer.status === 409 && answer.body.code === "layer_exists") {
          status(t("exists", { name: answer.body.layer, n: answer.body.count }), true);
          return;
        }
        if (answer.status !== 200) { status(t("error") + (answer.body.detail || answer.status), true); return; }
        var box = $("result");
        box.hidden = false; box.textContent = ""; box.className = "card";
        box.appendChild(el("p", { class: "ok", role: "status" }, t("imported", { n: answer.body.rows, name: answer.body.layer }) +
          (answer.body.version ? t("imported_version", { v: answer.body.version }) : "")));
        var link = el("a", { class: "button", href: "/layers/" + encodeURIComponent(answer.body.layer) }, t("open_layer"));
        box.appendChild(link);
        $("preview").hidden = true;
        status("");
        var known = layerOf(answer.body.layer);
        if (known) known.count = answer.body.rows; else data.layers.push({ name: answer.body.layer, kind: body.kind, count: answer.body.rows });
      });
  });
})();
