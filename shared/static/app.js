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
  // Pages with running work refresh themselves (the page is complete without this too).
  const auto = document.querySelector("[data-autorefresh]");
  if (auto) setTimeout(() => location.reload(), Number(auto.dataset.autorefresh) || 5000);
});
