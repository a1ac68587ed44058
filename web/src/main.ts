// The reference web app: everything goes through the SDK (packages/sdk), nothing else talks to
// the service. State lives in plain maps; the DOM is updated in place so screen readers hear only
// what is new (the timeline is an aria-live log).
import {
  ApiError,
  ChatClient,
  type components,
  type ConnectionState,
  type MessageView,
  type ReactionEventData,
} from '@chat-backend/sdk';
import { attachmentList, filePicker } from './attachments.ts';
import { $, h } from './dom.ts';
import { searchForm } from './search.ts';

type RoomItem = components['schemas']['RoomListItemDto'];

const REFRESH_KEY = 'chat.refreshToken';
const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉'];
const TYPING_SHOWN_MS = 5_000;
const TYPING_SENT_EVERY_MS = 3_000;

const client = new ChatClient();
const rooms = new Map<string, RoomItem>();
const directNames = new Map<string, string>();
/** Loaded messages per room, by id. */
const messages = new Map<string, Map<string, MessageView>>();
const typingByRoom = new Map<string, Map<string, { username: string; until: number }>>();
let currentRoomId: string | null = null;
let threadRootId: string | null = null;
let editingId: string | null = null;
/** beforeSeq of the open room's next page of older history; null once its oldest is loaded. */
let olderCursor: string | null = null;
/** How far back a search hit's room is loaded to reach it (pages of 50). */
const HIT_PAGES_MAX = 20;
let lastTypingSent = 0;

client.on('session', ({ session }) => {
  // Per tab (sessionStorage), so a reload stays signed in: refresh tokens rotate, and two tabs
  // spending the same one would revoke the whole login.
  if (session) sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
  else sessionStorage.removeItem(REFRESH_KEY);
});

// ---- start ------------------------------------------------------------------------------------

async function start(): Promise<void> {
  const stored = sessionStorage.getItem(REFRESH_KEY);
  if (stored) {
    try {
      await client.resume(stored);
      await showMain();
      return;
    } catch {
      sessionStorage.removeItem(REFRESH_KEY);
    }
  }
  showAuth();
}

// ---- sign in / sign up ----------------------------------------------------------------------

function showAuth(mode: 'in' | 'up' = 'in'): void {
  const error = h('p', { class: 'error', role: 'alert' });
  const field = (label: string, name: string, type = 'text', auto = '') =>
    h(
      'label',
      {},
      label,
      h('input', { name, type, required: true, autocomplete: auto || null, minlength: 1 }),
    );
  const form = h(
    'form',
    { class: 'auth', 'aria-labelledby': 'auth-title' },
    h('h1', { id: 'auth-title' }, mode === 'in' ? 'Sign in' : 'Create an account'),
    mode === 'in'
      ? field('Username or email', 'login', 'text', 'username')
      : [
          field('Username', 'username', 'text', 'username'),
          field('Email', 'email', 'email', 'email'),
        ],
    field('Password', 'password', 'password', mode === 'in' ? 'current-password' : 'new-password'),
    error,
    h('button', { type: 'submit' }, mode === 'in' ? 'Sign in' : 'Sign up'),
    h(
      'p',
      {},
      mode === 'in' ? 'New here? ' : 'Have an account? ',
      h(
        'button',
        { type: 'button', class: 'link', onclick: () => showAuth(mode === 'in' ? 'up' : 'in') },
        mode === 'in' ? 'Create an account' : 'Sign in instead',
      ),
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form)) as Record<string, string>;
    const call =
      mode === 'in'
        ? client.login({ login: data.login, password: data.password })
        : client.register({ username: data.username, email: data.email, password: data.password });
    call.then(showMain, (err: unknown) => {
      error.textContent = err instanceof ApiError ? err.message : 'The service is unreachable.';
    });
  });
  $('#app').replaceChildren(h('main', { class: 'auth-page' }, form));
  form.querySelector('input')?.focus();
}

// ---- main screen ------------------------------------------------------------------------------

async function showMain(): Promise<void> {
  const me = client.session!.user;
  $('#app').replaceChildren(
    h(
      'div',
      { class: 'shell' },
      h(
        'header',
        { class: 'top' },
        h('h1', {}, 'Chat'),
        h('span', { id: 'conn', role: 'status', class: 'conn' }, 'Connecting…'),
        h('span', { class: 'whoami' }, me.username),
        h('button', { type: 'button', onclick: () => void signOut() }, 'Sign out'),
      ),
      h(
        'nav',
        { class: 'sidebar', 'aria-label': 'Conversations' },
        h('h2', {}, 'Rooms'),
        h('ul', { id: 'room-list', class: 'room-list' }),
        h('h2', {}, 'Direct messages'),
        h('ul', { id: 'dm-list', class: 'room-list' }),
        searchForm({
          client,
          currentRoomId: () => currentRoomId,
          roomLabel: (id) => {
            const r = rooms.get(id);
            return r ? roomLabel(r) : 'A room';
          },
          openRoom: (id, hit) => void openRoom(id, hit),
        }),
        newRoomForm(),
        browseRoomsForm(),
        newDmForm(),
      ),
      h(
        'main',
        { id: 'room', class: 'room', 'aria-label': 'Conversation' },
        h('p', { class: 'empty' }, 'Choose a room, or create one.'),
      ),
      h('aside', { id: 'thread', class: 'thread', hidden: true, 'aria-label': 'Thread' }),
    ),
  );
  await loadRooms();
  for (const r of rooms.values()) client.subscribe(r.id, r.lastEventSeq);
  client.connect();
}

async function signOut(): Promise<void> {
  await client.logout();
  rooms.clear();
  messages.clear();
  currentRoomId = null;
  showAuth();
}

function setConnection(state: ConnectionState, retryInMs?: number): void {
  const el = document.getElementById('conn');
  if (!el) return;
  const text: Record<ConnectionState, string> = {
    idle: 'Offline',
    connecting: 'Connecting…',
    open: 'Connected',
    reconnecting:
      retryInMs === undefined
        ? 'Reconnecting…'
        : `Connection lost, reconnecting in ${Math.ceil(retryInMs / 1000)} s…`,
    closed: 'Disconnected',
  };
  el.textContent = text[state];
  el.dataset.state = state;
  refreshPending();
}
client.on('state', ({ state, retryInMs }) => setConnection(state, retryInMs));

// The browser knows first when the network goes or comes back.
window.addEventListener('offline', () => client.dropConnection());
window.addEventListener('online', () => client.reconnectNow());

async function loadRooms(): Promise<void> {
  const { data } = await client.api.GET('/api/users/me/rooms', {
    params: { query: { limit: 100 } },
  });
  for (const r of data?.items ?? []) rooms.set(r.id, r);
  renderRoomList();
  await Promise.all([...rooms.values()].filter((r) => r.kind === 'direct').map(nameDirectRoom));
}

async function nameDirectRoom(r: { id: string }): Promise<void> {
  const { data } = await client.api.GET('/api/rooms/{id}/members', {
    params: { path: { id: r.id }, query: { limit: 10 } },
  });
  const me = client.session?.user.id;
  const others = (data?.items ?? []).filter((m) => m.userId !== me).map((m) => m.username);
  directNames.set(r.id, others.join(', ') || 'Just you');
  renderRoomList();
}

function roomLabel(r: RoomItem): string {
  return r.kind === 'direct' ? (directNames.get(r.id) ?? 'Direct message') : `# ${r.name}`;
}

function renderRoomList(): void {
  const list = document.getElementById('room-list');
  const dms = document.getElementById('dm-list');
  if (!list || !dms) return;
  const sorted = [...rooms.values()].sort((a, b) =>
    (b.lastMessage?.createdAt ?? b.createdAt).localeCompare(
      a.lastMessage?.createdAt ?? a.createdAt,
    ),
  );
  const item = (r: RoomItem) =>
    h(
      'li',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'room-link',
          'aria-current': r.id === currentRoomId ? 'page' : null,
          onclick: () => void openRoom(r.id),
        },
        h('span', { class: 'name' }, roomLabel(r)),
        r.unreadCount > 0 &&
          h(
            'span',
            {
              class: r.mentionCount > 0 ? 'badge mention' : 'badge',
              'aria-label': `${r.unreadCount} unread`,
            },
            r.unreadCount,
          ),
      ),
    );
  list.replaceChildren(...sorted.filter((r) => r.kind !== 'direct').map(item));
  dms.replaceChildren(...sorted.filter((r) => r.kind === 'direct').map(item));
  document.title = totalUnread() > 0 ? `(${totalUnread()}) Chat` : 'Chat';
}

const totalUnread = () => [...rooms.values()].reduce((n, r) => n + r.unreadCount, 0);

async function addRoom(id: string): Promise<void> {
  const { data } = await client.api.GET('/api/users/me/rooms', {
    params: { query: { limit: 100 } },
  });
  const r = data?.items.find((x) => x.id === id);
  if (!r) return;
  rooms.set(r.id, r);
  client.subscribe(r.id, r.lastEventSeq);
  if (r.kind === 'direct') await nameDirectRoom(r);
  renderRoomList();
}

function newRoomForm(): HTMLElement {
  const form = h(
    'form',
    { class: 'side-form', 'aria-label': 'Create a room' },
    h('label', {}, 'New room name', h('input', { name: 'name', required: true, maxlength: 100 })),
    h('button', { type: 'submit' }, 'Create room'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = formText(form, 'name').trim();
    void client.api
      .POST('/api/rooms', { body: { name, isPrivate: false } })
      .then(async ({ data, error }) => {
        if (!data) return alertError(error);
        form.reset();
        await addRoom(data.id);
        await openRoom(data.id);
      });
  });
  return form;
}

function browseRoomsForm(): HTMLElement {
  const results = h('ul', { class: 'results', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'side-form', role: 'search', 'aria-label': 'Find public rooms' },
    h('label', {}, 'Find rooms', h('input', { name: 'q', type: 'search' })),
    h('button', { type: 'submit' }, 'Search'),
    results,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = formText(form, 'q').trim();
    void client.api.GET('/api/rooms', { params: { query: { q, limit: 20 } } }).then(({ data }) => {
      const found = (data?.items ?? []).filter((r) => !rooms.has(r.id));
      results.replaceChildren(
        ...(found.length === 0
          ? [h('li', {}, 'No rooms to join.')]
          : found.map((r) =>
              h(
                'li',
                {},
                `# ${r.name} `,
                h(
                  'button',
                  {
                    type: 'button',
                    'aria-label': `Join ${r.name}`,
                    onclick: () =>
                      void client.api
                        .POST('/api/rooms/{id}/join', { params: { path: { id: r.id } }, body: {} })
                        .then(async ({ error }) => {
                          if (error) return alertError(error);
                          results.replaceChildren();
                          await addRoom(r.id);
                          await openRoom(r.id);
                        }),
                  },
                  'Join',
                ),
              ),
            )),
      );
    });
  });
  return form;
}

function newDmForm(): HTMLElement {
  const form = h(
    'form',
    { class: 'side-form', 'aria-label': 'Start a direct message' },
    h('label', {}, 'Message a person (username)', h('input', { name: 'username', required: true })),
    h('button', { type: 'submit' }, 'Start'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const username = formText(form, 'username').trim();
    void (async () => {
      const { data } = await client.api.GET('/api/users', {
        params: { query: { q: username, limit: 5 } },
      });
      const user = data?.items.find((u) => u.username.toLowerCase() === username.toLowerCase());
      if (!user) return alert(`Nobody is called ${username}.`);
      const dm = await client.api.POST('/api/dms', { body: { userIds: [user.id] } });
      if (!dm.data) return alertError(dm.error);
      form.reset();
      if (!rooms.has(dm.data.id)) await addRoom(dm.data.id);
      await openRoom(dm.data.id);
    })();
  });
  return form;
}

function formText(form: HTMLFormElement, name: string): string {
  const v = new FormData(form).get(name);
  return typeof v === 'string' ? v : '';
}

function alertError(error: unknown): void {
  const e = error as { message?: string | string[] } | undefined;
  alert(Array.isArray(e?.message) ? e.message.join('; ') : (e?.message ?? 'That did not work.'));
}

client.on('dm.created', ({ room }) => void addRoom(room.id));
client.on('invite.received', ({ room }) => {
  const el = document.getElementById('conn');
  if (el) el.textContent = `You were invited to # ${room.name}: join it from Find rooms.`;
});
client.on('room.unsubscribed', ({ roomId, reason }) => {
  if (reason && reason !== 'requested') dropRoom(roomId);
});
client.on('room.deleted', ({ roomId }) => dropRoom(roomId));

function dropRoom(roomId: string): void {
  rooms.delete(roomId);
  if (currentRoomId === roomId) {
    currentRoomId = null;
    $('#room').replaceChildren(h('p', { class: 'empty' }, 'That room is gone.'));
  }
  renderRoomList();
}

// ---- a room's timeline --------------------------------------------------------------------

/**
 * Opens a room at its newest messages. A search hit older than those is reached by loading older
 * pages (up to HIT_PAGES_MAX), then marked and scrolled to.
 */
async function openRoom(roomId: string, hit?: { id: string; seq: number }): Promise<void> {
  const room = rooms.get(roomId);
  if (!room) return;
  currentRoomId = roomId;
  editingId = null;
  olderCursor = null;
  closeThread();
  document.body.classList.add('room-open');
  const log = h('ol', {
    id: 'timeline',
    class: 'timeline',
    role: 'log',
    'aria-live': 'polite',
    'aria-relevant': 'additions',
    'aria-label': `Messages in ${roomLabel(room)}`,
  });
  $('#room').replaceChildren(
    h(
      'div',
      { class: 'room-head' },
      h(
        'button',
        {
          type: 'button',
          class: 'back',
          onclick: closeRoom,
          'aria-label': 'Back to conversations',
        },
        '←',
      ),
      h('h2', {}, roomLabel(room)),
    ),
    h(
      'button',
      {
        type: 'button',
        id: 'older',
        class: 'older',
        hidden: true,
        onclick: () => void loadOlder(roomId),
      },
      'Load older messages',
    ),
    log,
    h('ul', { id: 'pending', class: 'pending', 'aria-label': 'Not yet sent' }),
    h('p', { id: 'typing', class: 'typing', 'aria-live': 'polite' }),
    composer(roomId, null),
  );
  renderRoomList();
  const { data } = await client.api.GET('/api/rooms/{id}/messages', {
    params: { path: { id: roomId }, query: { limit: 50 } },
  });
  // sentBy is the proxy module's field: absent from the REST types when it is off.
  for (const m of data?.items ?? []) store({ sentBy: null, ...m });
  if (currentRoomId !== roomId) return;
  for (const m of sortedMessages(roomId, null)) renderMessage(m);
  setOlderCursor(data?.nextCursor ?? null);
  refreshPending();
  log.lastElementChild?.scrollIntoView({ block: 'end' });
  markSeen(roomId);
  if (hit) {
    for (let pages = 0; oldestLoadedSeq(roomId) > hit.seq && pages < HIT_PAGES_MAX; pages++)
      if (!(await loadOlder(roomId))) break;
    const el = currentRoomId === roomId && document.getElementById(`m-${hit.id}`);
    if (el) {
      el.classList.add('found');
      el.scrollIntoView({ block: 'center' });
    }
  }
  (document.getElementById(`composer-${roomId}`) as HTMLTextAreaElement | null)?.focus();
}

/** One page of older history into the open room's timeline; false when none came. */
async function loadOlder(roomId: string): Promise<boolean> {
  if (currentRoomId !== roomId || olderCursor === null) return false;
  const { data } = await client.api.GET('/api/rooms/{id}/messages', {
    params: { path: { id: roomId }, query: { beforeSeq: Number(olderCursor), limit: 50 } },
  });
  if (!data || currentRoomId !== roomId) return false;
  for (const m of data.items) {
    const view = { sentBy: null, ...m };
    store(view);
    renderMessage(view);
  }
  setOlderCursor(data.nextCursor ?? null);
  return data.items.length > 0;
}

function setOlderCursor(cursor: string | null): void {
  olderCursor = cursor;
  const button = document.getElementById('older');
  if (button) button.hidden = cursor === null;
}

function oldestLoadedSeq(roomId: string): number {
  let oldest = Infinity;
  for (const m of messages.get(roomId)?.values() ?? []) oldest = Math.min(oldest, m.seq);
  return oldest;
}

function closeRoom(): void {
  document.body.classList.remove('room-open');
  currentRoomId = null;
  renderRoomList();
}

function store(m: MessageView): void {
  let map = messages.get(m.roomId);
  if (!map) messages.set(m.roomId, (map = new Map<string, MessageView>()));
  map.set(m.id, m);
}

function sortedMessages(roomId: string, rootId: string | null): MessageView[] {
  return [...(messages.get(roomId)?.values() ?? [])]
    .filter((m) => m.threadRootId === rootId)
    .sort((a, b) => a.seq - b.seq);
}

function findMessage(roomId: string, id: string): MessageView | undefined {
  return messages.get(roomId)?.get(id);
}

/** Reads up to the newest message when the room is on screen. */
function markSeen(roomId: string): void {
  const room = rooms.get(roomId);
  if (!room || document.visibilityState !== 'visible' || currentRoomId !== roomId) return;
  if (room.lastSeq > room.lastReadSeq)
    void client.markRead(roomId, room.lastSeq).catch(() => undefined);
}
document.addEventListener('visibilitychange', () => currentRoomId && markSeen(currentRoomId));

function composer(roomId: string, rootId: string | null): HTMLElement {
  const id = rootId ? `reply-${rootId}` : `composer-${roomId}`;
  const input = h('textarea', {
    id,
    rows: 2,
    maxlength: 4000,
    placeholder: rootId
      ? 'Reply in thread'
      : 'Write a message (Enter sends, Shift+Enter: new line)',
  });
  const picker = filePicker(`files-${id}`);
  const form = h(
    'form',
    { class: 'composer' },
    h(
      'div',
      { class: 'composer-row' },
      h('label', { for: id, class: 'visually-hidden' }, rootId ? 'Reply' : 'Message'),
      input,
      h('button', { type: 'submit' }, rootId ? 'Reply' : 'Send'),
    ),
    picker.element,
    picker.status,
  );
  const submit = async () => {
    const files = editingId && !rootId ? [] : picker.files();
    // A message needs text: files sent alone are introduced by their names.
    const content = input.value.trim() || files.map((f) => f.name).join(', ');
    if (!content) return;
    let attachmentIds: string[] = [];
    if (files.length > 0) {
      const ids = await picker.uploadAll(client, roomId);
      if (!ids) return; // the text and the files stay, to retry
      attachmentIds = ids;
      picker.clear();
    }
    input.value = '';
    if (!rootId && editingId) {
      const msgId = editingId;
      stopEditing();
      void client.api
        .PATCH('/api/rooms/{id}/messages/{messageId}', {
          params: { path: { id: roomId, messageId: msgId } },
          body: { content },
        })
        .then(({ error }) => error && alertError(error));
      return;
    }
    void client
      .send(roomId, content, {
        ...(rootId ? { threadRootId: rootId } : {}),
        ...(attachmentIds.length ? { attachmentIds } : {}),
      })
      .catch(alertError);
    refreshPending();
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submit();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      void submit();
    } else if (ev.key === 'Escape' && editingId) {
      stopEditing();
      input.value = '';
    }
  });
  input.addEventListener('input', () => {
    if (Date.now() - lastTypingSent > TYPING_SENT_EVERY_MS) {
      lastTypingSent = Date.now();
      client.typing(roomId);
    }
  });
  return form;
}

function startEditing(m: MessageView): void {
  editingId = m.id;
  const input = document.getElementById(`composer-${m.roomId}`) as HTMLTextAreaElement | null;
  if (!input) return;
  input.value = m.content;
  input.setAttribute('aria-label', 'Edit your message (Escape cancels)');
  input.closest('form')?.querySelector('button[type=submit]')?.replaceChildren('Save');
  input.focus();
}

function stopEditing(): void {
  editingId = null;
  if (!currentRoomId) return;
  const input = document.getElementById(`composer-${currentRoomId}`);
  input?.removeAttribute('aria-label');
  input?.closest('form')?.querySelector('button[type=submit]')?.replaceChildren('Send');
}

/** Creates or updates a message's element in the timeline or the open thread. */
function renderMessage(m: MessageView): void {
  const inThread = m.threadRootId !== null;
  if (m.roomId !== currentRoomId) return;
  if (inThread && m.threadRootId !== threadRootId) return;
  const list = document.getElementById(inThread ? 'thread-log' : 'timeline');
  if (!list) return;
  const domId = `${inThread ? 't' : 'm'}-${m.id}`;
  const el = messageElement(m, domId);
  const existing = document.getElementById(domId);
  if (existing) {
    existing.replaceWith(el);
    return;
  }
  const after = [...list.children].find((c) => Number((c as HTMLElement).dataset.seq) > m.seq);
  list.insertBefore(el, after ?? null);
  if (!after) el.scrollIntoView({ block: 'end' });
}

function messageElement(m: MessageView, domId: string): HTMLElement {
  const mine = m.userId === client.session?.user.id;
  const time = new Date(m.createdAt);
  const actions = m.deleted
    ? []
    : [
        ...QUICK_REACTIONS.map((emoji) => {
          const r = m.reactions.find((x) => x.emoji === emoji);
          return h(
            'button',
            {
              type: 'button',
              class: r?.me ? 'reaction me' : 'reaction',
              'aria-pressed': r?.me ? 'true' : 'false',
              'aria-label': `React ${emoji}${r ? ` (${r.count})` : ''}`,
              onclick: () => void toggleReaction(m, emoji),
            },
            emoji,
            r && r.count > 0 ? ` ${r.count}` : '',
          );
        }),
        m.threadRootId === null &&
          h(
            'button',
            { type: 'button', onclick: () => void openThread(m) },
            m.thread
              ? `${m.thread.replyCount} ${m.thread.replyCount === 1 ? 'reply' : 'replies'}`
              : 'Reply',
          ),
        mine && h('button', { type: 'button', onclick: () => startEditing(m) }, 'Edit'),
        mine &&
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                if (!confirm('Delete this message?')) return;
                void client.api
                  .DELETE('/api/rooms/{id}/messages/{messageId}', {
                    params: { path: { id: m.roomId, messageId: m.id } },
                  })
                  .then(({ error }) => error && alertError(error));
              },
            },
            'Delete',
          ),
      ];
  const others = m.reactions.filter((r) => !QUICK_REACTIONS.includes(r.emoji) && r.count > 0);
  return h(
    'li',
    { id: domId, class: mine ? 'msg mine' : 'msg', 'data-seq': m.seq },
    h(
      'div',
      { class: 'meta' },
      h('strong', {}, m.username),
      ' ',
      h(
        'time',
        { datetime: m.createdAt },
        time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      ),
      m.editedAt && !m.deleted ? h('span', { class: 'edited' }, ' (edited)') : null,
    ),
    m.deleted
      ? h('p', { class: 'content deleted' }, 'This message was deleted.')
      : h('p', { class: 'content' }, m.content),
    !m.deleted && attachmentList(m.attachments ?? []),
    others.length > 0 &&
      h('p', { class: 'other-reactions' }, others.map((r) => `${r.emoji} ${r.count}`).join('  ')),
    actions.length > 0 &&
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Message actions' }, actions),
  );
}

async function toggleReaction(m: MessageView, emoji: string): Promise<void> {
  const mine = m.reactions.find((r) => r.emoji === emoji)?.me;
  const opts = { params: { path: { id: m.roomId, messageId: m.id, emoji } } };
  const { error } = mine
    ? await client.api.DELETE('/api/rooms/{id}/messages/{messageId}/reactions/{emoji}', opts)
    : await client.api.PUT('/api/rooms/{id}/messages/{messageId}/reactions/{emoji}', opts);
  if (error) alertError(error);
}

function refreshPending(): void {
  const list = document.getElementById('pending');
  if (!list || !currentRoomId) return;
  const waiting = client.pending().filter((p) => p.roomId === currentRoomId && !p.threadRootId);
  list.replaceChildren(
    ...waiting.map((p) =>
      h(
        'li',
        { class: 'msg pending' },
        h('p', { class: 'content' }, p.content),
        h('small', {}, 'sending…'),
      ),
    ),
  );
}

// ---- threads ------------------------------------------------------------------------------

async function openThread(root: MessageView): Promise<void> {
  threadRootId = root.id;
  const panel = $('#thread');
  panel.hidden = false;
  document.body.classList.add('thread-open');
  panel.replaceChildren(
    h(
      'div',
      { class: 'room-head' },
      h('h2', {}, 'Thread'),
      h('button', { type: 'button', onclick: closeThread, 'aria-label': 'Close thread' }, '✕'),
    ),
    h(
      'blockquote',
      {},
      h('strong', {}, root.username),
      ': ',
      root.deleted ? 'This message was deleted.' : root.content,
    ),
    h('ol', {
      id: 'thread-log',
      class: 'timeline',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': 'Replies',
    }),
    composer(root.roomId, root.id),
  );
  const { data } = await client.api.GET('/api/rooms/{id}/messages', {
    params: { path: { id: root.roomId }, query: { threadRootId: root.id, limit: 100 } },
  });
  // sentBy is the proxy module's field: absent from the REST types when it is off.
  for (const m of data?.items ?? []) store({ sentBy: null, ...m });
  for (const m of sortedMessages(root.roomId, root.id)) renderMessage(m);
  (document.getElementById(`reply-${root.id}`) as HTMLTextAreaElement | null)?.focus();
}

function closeThread(): void {
  threadRootId = null;
  document.body.classList.remove('thread-open');
  const panel = document.getElementById('thread');
  if (panel) {
    panel.hidden = true;
    panel.replaceChildren();
  }
}

// ---- live events --------------------------------------------------------------------------

client.on('message.new', (m) => {
  store(m);
  const room = rooms.get(m.roomId);
  if (room) {
    room.lastSeq = Math.max(room.lastSeq, m.seq);
    room.lastMessage = {
      ...(room.lastMessage ?? {}),
      createdAt: m.createdAt,
    } as RoomItem['lastMessage'];
    const mine = m.userId === client.session?.user.id;
    if (mine) room.lastReadSeq = Math.max(room.lastReadSeq, m.seq);
    room.unreadCount = Math.max(0, room.lastSeq - room.lastReadSeq);
    if (m.roomId === currentRoomId && document.visibilityState === 'visible') markSeen(m.roomId);
    renderRoomList();
  }
  if (m.threadRootId) {
    const root = findMessage(m.roomId, m.threadRootId);
    if (root) {
      const replyCount = (root.thread?.replyCount ?? 0) + 1;
      root.thread = { replyCount, lastReplyAt: m.createdAt, lastReplySeq: m.seq };
      renderMessage(root);
    }
  }
  renderMessage(m);
  refreshPending();
  clearTyping(m.roomId, m.userId);
});

client.on('message.ack', () => refreshPending());
client.on('send.failed', () => refreshPending());

client.on('message.edited', (e) => {
  const m = findMessage(e.roomId, e.id);
  if (!m) return;
  Object.assign(m, { content: e.content, editedAt: e.editedAt, mentions: e.mentions });
  renderMessage(m);
});

client.on('message.deleted', (e) => {
  const m = findMessage(e.roomId, e.id);
  if (!m) return;
  Object.assign(m, { deleted: true, content: '', reactions: [] });
  renderMessage(m);
});

function applyReaction(e: ReactionEventData, delta: 1 | -1): void {
  const m = findMessage(e.roomId, e.messageId);
  if (!m) return;
  const mine = e.userId === client.session?.user.id;
  let r = m.reactions.find((x) => x.emoji === e.emoji);
  if (!r) m.reactions.push((r = { emoji: e.emoji, count: 0, me: false }));
  r.count = Math.max(0, r.count + delta);
  if (mine) r.me = delta === 1;
  m.reactions = m.reactions.filter((x) => x.count > 0);
  renderMessage(m);
}
client.on('reaction.added', (e) => applyReaction(e, 1));
client.on('reaction.removed', (e) => applyReaction(e, -1));

client.on('read.updated', (e) => {
  const room = rooms.get(e.roomId);
  if (!room) return;
  Object.assign(room, {
    lastReadSeq: e.lastReadSeq,
    unreadCount: e.unreadCount,
    mentionCount: e.mentionCount,
  });
  renderRoomList();
});

client.on('resync', ({ roomId }) => {
  messages.delete(roomId);
  if (roomId === currentRoomId) void openRoom(roomId);
});

client.on('typing', (e) => {
  let map = typingByRoom.get(e.roomId);
  if (!map)
    typingByRoom.set(e.roomId, (map = new Map<string, { username: string; until: number }>()));
  map.set(e.userId, { username: e.username, until: Date.now() + TYPING_SHOWN_MS });
  renderTyping();
  setTimeout(renderTyping, TYPING_SHOWN_MS + 50);
});

function clearTyping(roomId: string, userId: string): void {
  typingByRoom.get(roomId)?.delete(userId);
  renderTyping();
}

function renderTyping(): void {
  const el = document.getElementById('typing');
  if (!el || !currentRoomId) return;
  const now = Date.now();
  const names = [...(typingByRoom.get(currentRoomId)?.values() ?? [])]
    .filter((t) => t.until > now)
    .map((t) => t.username);
  el.textContent =
    names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}

void start();
