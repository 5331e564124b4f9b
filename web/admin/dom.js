/**
 * Builds the dashboard's elements from text only: every value shown (device names, titles,
 * alert summaries) may come from a subscriber or an attacker, so nothing is ever parsed as HTML.
 */

/** An element with attributes and children; strings become text nodes. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** Replaces a container's children. */
export function fill(container, children) {
  container.replaceChildren(...children);
}

/** A time for people: "14:02:07" today, the date too otherwise. */
export function when(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  const today = new Date().toDateString() === at.toDateString();
  return today ? at.toLocaleTimeString() : at.toLocaleString();
}
