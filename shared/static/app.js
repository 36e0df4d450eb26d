// Comfort only: every page works without this script.
document.addEventListener("DOMContentLoaded", () => {
  // Panel switcher and other selects that apply at once.
  document.querySelectorAll("select[data-autosubmit]").forEach((s) =>
    s.addEventListener("change", () => s.form && s.form.submit()));
  // Destructive actions say what they will do before doing it.
  document.querySelectorAll("[data-confirm]").forEach((el) =>
    el.addEventListener("click", (e) => { if (!confirm(el.dataset.confirm)) e.preventDefault(); }));
  // Times in the viewer's own time zone; the UTC text stays in the title.
  document.querySelectorAll("time[datetime]").forEach((t) => {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) {
      t.textContent = d.toLocaleString(undefined,
        { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    }
  });
  // Copy buttons: data-copy holds the text.
  document.querySelectorAll("[data-copy]").forEach((b) =>
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(b.dataset.copy); b.textContent = "Copied"; } catch (_) { /* clipboard blocked */ }
    }));
  // Row selection: select all, and copy the checked rows' ids / external ids / links in one click.
  document.querySelectorAll("form[data-selection]").forEach((form) => {
    const boxes = () => [...form.querySelectorAll("input[name=sel]")];
    const count = form.querySelector("[data-sel-count]");
    const update = () => { if (count) { const n = boxes().filter((b) => b.checked).length; count.textContent = n ? n + " selected" : ""; } };
    const all = form.querySelector("[data-select-all]");
    if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); update(); });
    boxes().forEach((b) => b.addEventListener("change", update));
    form.querySelectorAll("[data-copy-sel]").forEach((btn) =>
      btn.addEventListener("click", async (e) => {
        e.preventDefault();
        const key = btn.dataset.copySel;
        const text = boxes().filter((b) => b.checked).map((b) => b.dataset[key]).filter(Boolean).join("\n");
        form.dataset.copied = text;
        try { await navigator.clipboard.writeText(text); } catch (_) { /* clipboard blocked: the text stays in data-copied */ }
        if (count) count.textContent = text ? "Copied " + text.split("\n").length : "Nothing to copy";
      }));
  });
  // Canned replies go into the reply box at the cursor.
  document.querySelectorAll("select[data-canned-insert]").forEach((s) =>
    s.addEventListener("change", () => {
      const box = document.getElementById(s.dataset.cannedInsert);
      const opt = s.selectedOptions[0];
      if (!box || !opt || !opt.dataset.body) return;
      const at = box.selectionStart ?? box.value.length;
      box.value = box.value.slice(0, at) + opt.dataset.body + box.value.slice(box.selectionEnd ?? at);
      box.focus();
      s.value = "";
    }));
  // "/" focuses the page's search box.
  document.addEventListener("keydown", (e) => {
    const search = document.querySelector("input[type=search]");
    if (e.key === "/" && search && !["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName)) {
      e.preventDefault(); search.focus();
    }
  });
  // Pages with running work refresh themselves (the page is complete without this too).
  const auto = document.querySelector("[data-autorefresh]");
  if (auto) setTimeout(() => location.reload(), Number(auto.dataset.autorefresh) || 5000);
});
