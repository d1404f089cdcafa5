// The walk's measures, evaluated in each page by tests/browser/walk.py (window.portalWalk).
window.portalWalk = {
  // How wide the document is beside the viewport, what sticks out past its right edge (outside a
  // scroll container that itself fits) and the words a table cell cuts over two lines ("MEDICA L").
  overflow() {
    const width = document.documentElement.clientWidth;
    const out = {viewport: width, scrollWidth: document.documentElement.scrollWidth, wide: [], broken: []};
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (!box.width || box.right <= width + 1 || out.wide.length >= 6) continue;
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)
            && p.getBoundingClientRect().right <= width + 1) { clipped = true; break; }
      }
      if (!clipped) out.wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
    }
    for (const cell of document.querySelectorAll("td, th")) {
      if (out.broken.length >= 6) break;
      if (!cell.getClientRects().length) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const word = /[^\s\-–/]+/g;  // a break after a hyphen or a slash is no cut
        let m;
        while ((m = word.exec(node.data))) {
          const range = document.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
          if (lines.size > 1) out.broken.push(m[0]);
        }
      }
    }
    return out;
  },

  // References to ids the page does not have: axe only asks for a review of these.
  missingIdrefs() {
    const missing = [];
    for (const name of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage", "for"]) {
      for (const el of document.querySelectorAll(`[${name}]`)) {
        for (const id of el.getAttribute(name).split(/\s+/).filter(Boolean)) {
          if (!document.getElementById(id)) missing.push(`${el.tagName.toLowerCase()}#${el.id} ${name}=${id}`);
        }
      }
    }
    return missing;
  },

  // What a person reads or hears: the title, the text, and the attributes read aloud or shown.
  text() {
    const parts = [document.title, document.body.innerText];
    const named = "[title], [aria-label], [placeholder], [alt], input[type=submit], input[type=button]";
    for (const el of document.querySelectorAll(named)) {
      for (const name of ["title", "aria-label", "placeholder", "alt"]) {
        if (el.getAttribute(name)) parts.push(el.getAttribute(name));
      }
      if (["submit", "button"].includes(el.type) && el.value) parts.push(el.value);
    }
    return parts.join("\n");
  },
};
