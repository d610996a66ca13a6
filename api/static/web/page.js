// What every page script shares (loaded before it): the page's labels, elements built with
// text only (never HTML: names are data), and JSON requests carrying the session's CSRF
// token. Page scripts use it as window.mzgisPage.
window.mzgisPage = (function () {
  "use strict";

  // t(key, {name: value}) over one language's labels
  function labels(words) {
    return function t(key, values) {
      var text = words[key] || key;
      Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
      return text;
    };
  }

  // el("td", {class: "num"}, "text") or el("tr", {}, [child, "text", ...])
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    if (children === null || children === undefined) return node;
    if (!Array.isArray(children)) { node.textContent = String(children); return node; }
    children.forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function csrf() { return document.querySelector("meta[name=csrf-token]").content; }

  // a JSON request: {status, etag, body}; writes send the CSRF token
  function request(method, url, body, headers) {
    var h = Object.assign({ Accept: "application/json" }, headers || {});
    if (method !== "GET") { h["Content-Type"] = "application/json"; h["X-CSRF-Token"] = csrf(); }
    return fetch(url, { method: method, headers: h, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          return { status: r.status, etag: r.headers.get("ETag"), body: data };
        });
      });
  }

  // punctuation of the page's language: Chinese full-width, English half-width
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var marks = zh ? { open: "（", close: "）", colon: "：", comma: "，", semi: "；" }
    : { open: " (", close: ")", colon: ": ", comma: ", ", semi: "; " };
  function paren(text) { return marks.open + text + marks.close; }

  // the text of a status line: role=status element, "bad" for an error
  function status(node, text, bad) {
    node.textContent = text || "";
    node.className = "status" + (bad ? " bad" : "");
  }

  return { labels: labels, el: el, clear: clear, csrf: csrf, request: request, status: status,
    marks: marks, paren: paren };
})();
