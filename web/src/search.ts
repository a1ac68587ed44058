// Message search in the sidebar: every room the user is in, or only the open one. The server's
// highlight is plain text with ranges (src/modules/search/domain/search-query.ts), so the marks
// are built as DOM nodes: message text never goes through innerHTML.
import type { ChatClient, components } from '@chat-backend/sdk';
import { h } from './dom.ts';

type SearchHit = components['schemas']['SearchHitDto'];
type Highlight = components['schemas']['HighlightDto'];

const PAGE = 20;

export interface SearchDeps {
  client: ChatClient;
  currentRoomId(): string | null;
  roomLabel(roomId: string): string;
  /** Opens the hit's room scrolled to it (loading older history as far as it). */
  openRoom(roomId: string, hit: { id: string; seq: number }): void;
}

/** The highlight's text with each range in a <mark>. */
export function highlighted(hl: Highlight): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const r of hl.ranges) {
    if (r.start < at || r.end > hl.text.length) continue; // not expected: ranges are ordered
    if (r.start > at) nodes.push(document.createTextNode(hl.text.slice(at, r.start)));
    nodes.push(h('mark', {}, hl.text.slice(r.start, r.end)));
    at = r.end;
  }
  if (at < hl.text.length) nodes.push(document.createTextNode(hl.text.slice(at)));
  return nodes;
}

export function searchForm(deps: SearchDeps): HTMLElement {
  const results = h('ol', { class: 'results search-results', 'aria-label': 'Search results' });
  const summary = h('p', { class: 'search-summary', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const form = h(
    'form',
    { class: 'side-form', role: 'search', 'aria-label': 'Search messages' },
    h('label', {}, 'Search messages', h('input', { name: 'q', type: 'search', maxlength: 200 })),
    h(
      'label',
      { class: 'check' },
      h('input', { name: 'here', type: 'checkbox' }),
      ' Only the open room',
    ),
    h('button', { type: 'submit' }, 'Find messages'),
    summary,
    results,
    more,
  );
  let query: { q: string; roomId?: string } | null = null;
  let cursor: string | null = null;
  let shown = 0;

  const load = async (first: boolean) => {
    if (!query) return;
    const asked = query;
    more.hidden = true;
    const { data, error } = await deps.client.api.GET('/api/search/messages', {
      params: { query: { ...asked, limit: PAGE, ...(cursor && !first ? { cursor } : {}) } },
    });
    if (asked !== query) return; // a newer search started meanwhile
    if (!data) {
      const msg = (error as { message?: string | string[] } | undefined)?.message;
      summary.textContent = Array.isArray(msg) ? msg.join('; ') : (msg ?? 'Search failed.');
      return;
    }
    if (first) results.replaceChildren();
    results.append(...data.items.map((hit) => resultItem(hit, deps)));
    shown += data.items.length;
    cursor = data.nextCursor ?? null;
    more.hidden = cursor === null;
    summary.textContent =
      shown === 0
        ? 'No messages found.'
        : `${shown} ${shown === 1 ? 'message' : 'messages'}${cursor ? ' so far' : ''}.`;
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const raw = data.get('q');
    const q = typeof raw === 'string' ? raw.trim() : '';
    if (!q) return;
    const roomId = data.get('here') ? deps.currentRoomId() : null;
    query = roomId ? { q, roomId } : { q };
    cursor = null;
    shown = 0;
    summary.textContent = 'Searching…';
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  return form;
}

function resultItem(hit: SearchHit, deps: SearchDeps): HTMLElement {
  const m = hit.message;
  const time = new Date(m.createdAt).toLocaleString([], {
    dateStyle: 'short',
    timeStyle: 'short',
  });
  return h(
    'li',
    {},
    h(
      'button',
      {
        type: 'button',
        class: 'hit',
        onclick: () => deps.openRoom(m.roomId, { id: m.id, seq: m.seq }),
      },
      h(
        'span',
        { class: 'meta' },
        h('strong', {}, deps.roomLabel(m.roomId)),
        ` · ${m.username} · `,
        h('time', { datetime: m.createdAt }, time),
      ),
      h('span', { class: 'snippet' }, highlighted(hit.highlight)),
    ),
  );
}
