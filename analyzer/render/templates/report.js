"use strict";
// The report's controls: severity filter, text search with live counts, evidence expansion,
// copy buttons, theme, print. Plain DOM, no network; the page reads fully without it (no-js shows all).
(function () {
  const root = document.documentElement;
  root.classList.remove("no-js");
  const $ = (sel, el) => Array.from((el || document).querySelectorAll(sel));
  const findings = $(".finding[data-fired]");
  const rows = $("[data-search]");
  const text = new Map();
  for (const el of findings.concat(rows)) text.set(el, el.textContent.toLowerCase());
  const boxes = $(".toolbar input[data-sev]");
  const search = document.getElementById("search");
  const shown = document.getElementById("shown");
  const total = new Set(findings.map((f) => f.dataset.rule)).size;

  function terms() {
    return search.value.toLowerCase().split(/\s+/).filter(Boolean);
  }
  function matches(el, words) {
    const haystack = text.get(el);
    return words.every((w) => haystack.includes(w));
  }

  function apply() {
    const words = terms();
    const wanted = new Set(boxes.filter((b) => b.checked).map((b) => b.dataset.sev));
    const perSeverity = {};
    const visible = new Set();
    for (const f of findings) {
      const hit = matches(f, words);
      if (hit) (perSeverity[f.dataset.sev] = perSeverity[f.dataset.sev] || new Set()).add(f.dataset.rule);
      const show = hit && wanted.has(f.dataset.sev);
      f.hidden = !show;
      if (show) visible.add(f.dataset.rule);
      // A search that matches inside the evidence opens it, so the match can be seen.
      const evidence = f.querySelector(":scope > .evidence");
      if (evidence && words.length && show) {
        const inside = evidence.textContent.toLowerCase();
        if (words.every((w) => inside.includes(w))) evidence.open = true;
      }
    }
    for (const cause of $(".cause")) {
      cause.hidden = $(".finding[data-fired]", cause).every((f) => f.hidden);
    }
    for (const row of rows) {
      const sev = row.dataset.sev;
      row.hidden = !(matches(row, words) && (!sev || wanted.has(sev)));
    }
    for (const b of boxes) {
      const count = perSeverity[b.dataset.sev] ? perSeverity[b.dataset.sev].size : 0;
      b.parentElement.querySelector(".count").textContent = String(count);
    }
    shown.textContent = visible.size + " of " + total + " finding" + (total === 1 ? "" : "s") + " shown";
    for (const table of $("[data-count-of]")) {
      const all = $("[data-search]", table);
      const left = all.filter((r) => !r.hidden).length;
      const label = document.getElementById(table.dataset.countOf);
      if (label) label.textContent = left + " of " + all.length;
    }
    const none = document.getElementById("no-match");
    if (none) none.hidden = visible.size > 0 || total === 0;
  }

  // A report without findings has nothing to filter: the page leaves those controls out.
  if (search) {
    for (const b of boxes) b.addEventListener("change", apply);
    search.addEventListener("input", apply);
    document.addEventListener("keydown", (event) => {
      if (event.key === "/" && document.activeElement !== search) {
        event.preventDefault();
        search.focus();
      } else if (event.key === "Escape" && document.activeElement === search) {
        search.value = "";
        apply();
      }
    });
    const setEvidence = (open) => {
      for (const d of $("details.evidence")) d.open = open;
    };
    document.getElementById("expand").addEventListener("click", () => setEvidence(true));
    document.getElementById("collapse").addEventListener("click", () => setEvidence(false));
    document.getElementById("reset").addEventListener("click", () => {
      search.value = "";
      for (const b of boxes) b.checked = true;
      apply();
    });
  }

  // Commands to copy. navigator.clipboard needs a secure context, which a report opened
  // from a file may not be: then the command is selected and copied the old way.
  for (const button of $("button.copy")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const code = button.parentElement.querySelector("code");
      try {
        await navigator.clipboard.writeText(code.textContent);
      } catch (error) {
        const range = document.createRange();
        range.selectNodeContents(code);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        document.execCommand("copy");
      }
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    });
  }

  const themes = ["auto", "dark", "light"];
  const themeButton = document.getElementById("theme");
  themeButton.addEventListener("click", () => {
    const next = themes[(themes.indexOf(root.dataset.theme || "auto") + 1) % themes.length];
    if (next === "auto") delete root.dataset.theme;
    else root.dataset.theme = next;
    themeButton.textContent = "Theme: " + next;
  });

  // Following a link into a folded section (an arrow in a causal graph, a timeline row)
  // opens what folds it, and shows it even if the filters hid it.
  function reveal() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target) return;
    for (let el = target; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
      if (el.hidden) el.hidden = false;
    }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", reveal);

  // Paper gets everything: every folded section open while printing, as it was afterwards.
  let folded = [];
  window.addEventListener("beforeprint", () => {
    folded = $("details:not([open])");
    for (const d of folded) d.open = true;
  });
  window.addEventListener("afterprint", () => {
    for (const d of folded) d.open = false;
    folded = [];
  });

  if (search) apply();
  if (location.hash) reveal();
})();
