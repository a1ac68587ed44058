// The reference web app in a real Chromium, served at `/` by a real service process: two people
// sign up and chat; one goes offline and comes back to what was said meanwhile, with an unread
// badge; an edit, a reaction, typing and a thread reply show up live. Saves its screenshots under
// .data/screenshots, or with UPDATE_SCREENSHOTS=1 over the README's (docs/screenshots), so a test
// run leaves the checkout as it was. Attachments (an image rendered from its signed URL, a file
// link, a refused empty upload) and message search (a hit opening its room) are in there too;
// a second test goes back in history (older pages, search "Load more", a hit older than the page).
// Every wait is on a condition, never a fixed sleep.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { http, login, uniqueName } from '../support/http.js';
import {
  newJwtSecret,
  REPO_ROOT,
  startService,
  stopAll,
  type ServiceProcess,
} from '../support/service-process.js';
import { launchChromium } from './chromium.js';

const SHOTS = join(
  REPO_ROOT,
  process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.data/screenshots',
);
const WAIT = { timeout: 20_000 };
/**
 * A small PNG made here (a colour gradient, 8-bit RGB), so the browser has a real image to decode
 * and the README's screenshot shows one.
 */
function gradientPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
    return Buffer.concat([len, Buffer.from(type), data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // depth 8, RGB, deflate, no filter, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      rows.set(
        [Math.round((255 * x) / width), Math.round((255 * y) / height), 200],
        y * (1 + width * 3) + 1 + x * 3,
      );
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let svc: ServiceProcess | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  svc = await startService({
    name: 'web',
    brokers: '',
    topic: 'unused',
    jwtSecret: newJwtSecret(),
    env: { KAFKA_BROKERS: undefined, KAFKA_TOPIC: undefined },
  });
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stopAll([svc]);
});

async function person(ctx: BrowserContext, shot?: string): Promise<{ page: Page; name: string }> {
  const page = await ctx.newPage();
  await page.goto(svc!.baseUrl + '/');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
  if (shot) await page.screenshot({ path: join(SHOTS, shot) });
  await page.getByRole('button', { name: 'Create an account' }).click();
  const name = uniqueName('web').slice(0, 20);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Email').fill(`${name}@example.test`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
  return { page, name };
}

/** What the test reads of an <img> (the test code is typed without the DOM library). */
interface LoadingImage {
  complete: boolean;
  naturalWidth: number;
  addEventListener(type: 'load' | 'error', listener: () => void): void;
}

/** A message in the open room's timeline, by its text. */
const message = (page: Page, text: string) =>
  page.locator('#timeline li').filter({ hasText: text });

async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true });
  await box.fill(text);
  await box.press('Enter');
}

it('two people chat; one goes offline and comes back to the messages, edits and reactions it missed', async () => {
  const ctxA = await browser!.newContext({ viewport: { width: 1100, height: 720 } });
  const ctxB = await browser!.newContext({ viewport: { width: 1100, height: 720 } });
  try {
    const { page: a, name: nameA } = await person(ctxA, 'sign-in.png');
    const { page: b, name: nameB } = await person(ctxB);

    // A creates a room; B finds it and joins.
    const room = uniqueName('general').slice(0, 24);
    await a.getByLabel('New room name').fill(room);
    await a.getByRole('button', { name: 'Create room' }).click();
    await a.getByRole('heading', { name: `# ${room}` }).waitFor(WAIT);
    await b.getByLabel('Find rooms').fill(room);
    await b.getByRole('button', { name: 'Search', exact: true }).click();
    await b.getByRole('button', { name: `Join ${room}` }).click();
    await b.getByRole('heading', { name: `# ${room}` }).waitFor(WAIT);

    // Live both ways, with typing.
    await send(a, 'Hello from A');
    await message(b, 'Hello from A').waitFor(WAIT);
    await b.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('Hi');
    await a.getByText(`${nameB} is typing…`).waitFor(WAIT);
    await b.getByRole('textbox', { name: 'Message', exact: true }).fill('');
    await send(b, 'Hi A, B here');
    await message(a, 'Hi A, B here').waitFor(WAIT);

    // B moves to a room of its own, then loses the network.
    await b.getByLabel('New room name').fill(uniqueName('quiet').slice(0, 24));
    await b.getByRole('button', { name: 'Create room' }).click();
    await b.getByRole('heading', { name: /# quiet/ }).waitFor(WAIT);
    await ctxB.setOffline(true);
    await b.getByRole('status').filter({ hasNotText: 'Connected' }).waitFor(WAIT);

    // Meanwhile A writes twice and edits its first message.
    await send(a, 'While you were away 1');
    await send(a, 'While you were away 2');
    await message(a, 'While you were away 2').waitFor(WAIT);
    await message(a, 'Hello from A').getByRole('button', { name: 'Edit' }).click();
    const box = a.getByRole('textbox', { name: /Edit your message/ });
    await box.fill('Hello from A, edited');
    await box.press('Enter');
    await message(a, 'Hello from A, edited').getByText('(edited)').waitFor(WAIT);

    // B comes back: reconnected by itself, an unread badge on the room, and everything missed.
    await ctxB.setOffline(false);
    await b.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
    const roomLink = b.getByRole('button', { name: new RegExp(`# ${room}`) });
    await roomLink.getByLabel('2 unread').waitFor(WAIT);
    await roomLink.click();
    await message(b, 'While you were away 1').waitFor(WAIT);
    await message(b, 'While you were away 2').waitFor(WAIT);
    await message(b, 'Hello from A, edited').getByText('(edited)').waitFor(WAIT);
    await roomLink.getByLabel(/unread/).waitFor({ state: 'detached', ...WAIT });
    const texts = await b.locator('#timeline li .content').allTextContents();
    expect(texts).toEqual([
      'Hello from A, edited',
      'Hi A, B here',
      'While you were away 1',
      'While you were away 2',
    ]);

    // B reacts; A sees it live.
    await message(b, 'While you were away 2').getByRole('button', { name: 'React 👍' }).click();
    await message(a, 'While you were away 2')
      .getByRole('button', { name: 'React 👍 (1)' })
      .waitFor(WAIT);

    // A replies in a thread; B sees the reply count and opens the thread.
    await message(a, 'Hi A, B here').getByRole('button', { name: 'Reply', exact: true }).click();
    const reply = a.getByRole('textbox', { name: 'Reply', exact: true });
    await reply.fill('A reply in the thread');
    await reply.press('Enter');
    await a.locator('#thread-log li').filter({ hasText: 'A reply in the thread' }).waitFor(WAIT);
    await a.getByRole('button', { name: 'Close thread' }).click();
    await message(b, 'Hi A, B here').getByRole('button', { name: '1 reply' }).click();
    await b.locator('#thread-log li').filter({ hasText: 'A reply in the thread' }).waitFor(WAIT);
    await b.getByRole('button', { name: 'Close thread' }).click();

    // A deletes a message (after confirming): B sees the tombstone in its place.
    a.once('dialog', (d) => void d.accept());
    await message(a, 'While you were away 1').getByRole('button', { name: 'Delete' }).click();
    await message(b, 'This message was deleted.').waitFor(WAIT);
    expect(await message(b, 'While you were away 1').count()).toBe(0);

    // B writes to A directly: A gets the conversation, with a badge, live.
    await b.getByLabel('Message a person (username)').fill(nameA);
    await b.getByRole('button', { name: 'Start' }).click();
    await b.getByRole('heading', { name: nameA }).waitFor(WAIT);
    await send(b, 'Just between us');
    await message(b, 'Just between us').waitFor(WAIT);
    const dmLink = a
      .getByRole('navigation', { name: 'Conversations' })
      .getByRole('button', { name: new RegExp(nameB) });
    await dmLink.getByLabel('1 unread').waitFor(WAIT);
    await dmLink.click();
    await message(a, 'Just between us').waitFor(WAIT);
    await a.getByRole('button', { name: new RegExp(`# ${room}`) }).click();
    await message(a, 'Hi A, B here').waitFor(WAIT);
    await b.getByRole('button', { name: new RegExp(`# ${room}`) }).click();
    await message(b, 'Hi A, B here').waitFor(WAIT);

    // A attaches a PNG and a text file; B sees the image (served by its signed URL) and the link.
    // An empty file is refused first, and said so in the composer's live region.
    const picker = a.getByLabel('Attach files').first();
    await picker.setInputFiles({
      name: 'empty.txt',
      mimeType: 'text/plain',
      buffer: Buffer.alloc(0),
    });
    await send(a, 'Nothing in it');
    await a.getByRole('status').filter({ hasText: 'ATTACHMENT_SIZE_INVALID' }).waitFor(WAIT);
    await a.getByRole('textbox', { name: 'Message', exact: true }).fill('');
    await picker.setInputFiles([
      { name: 'dot.png', mimeType: 'image/png', buffer: gradientPng(96, 64) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('attached notes\n') },
    ]);
    await send(a, 'Here are the files');
    const withFiles = message(b, 'Here are the files');
    const img = withFiles.getByRole('img', { name: 'dot.png' });
    await img.waitFor(WAIT);
    await img.scrollIntoViewIfNeeded();
    // Resolves once the browser has loaded (or failed to load) the bytes from the signed URL.
    const width = await img.evaluate(
      (el) =>
        new Promise<number>((resolve) => {
          const image = el as unknown as LoadingImage;
          if (image.complete) return resolve(image.naturalWidth);
          image.addEventListener('load', () => resolve(image.naturalWidth));
          image.addEventListener('error', () => resolve(0));
        }),
    );
    expect(width).toBe(96);
    const link = withFiles.getByRole('link', { name: /notes\.txt \(15 B\)/ });
    await link.waitFor(WAIT);
    const href = await link.getAttribute('href');
    const served = await b.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(served).toBe('attached notes\n');
    await message(a, 'Here are the files').getByRole('img', { name: 'dot.png' }).waitFor(WAIT);

    // A reload stays signed in (the tab's refresh token) and finds the room again.
    await a.reload();
    await a.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
    await a.getByRole('button', { name: new RegExp(`# ${room}`) }).click();
    await message(a, 'While you were away 2')
      .getByRole('button', { name: 'React 👍 (1)' })
      .waitFor(WAIT);

    // The README's screenshots: the room list with the timeline, and the same on a phone.
    await a.screenshot({ path: join(SHOTS, 'room.png') });
    await b.setViewportSize({ width: 390, height: 760 });
    await b.screenshot({ path: join(SHOTS, 'phone-room.png') });
    await b.getByRole('button', { name: 'Back to conversations' }).click();
    await b.getByRole('heading', { name: 'Rooms' }).scrollIntoViewIfNeeded(WAIT);
    await b.screenshot({ path: join(SHOTS, 'phone-rooms.png') });

    // On the phone, B searches its rooms for a word A sent earlier; the hit marks the word and
    // opens the room. The DM is opened first so the result visibly changes rooms.
    await b.getByRole('button', { name: new RegExp(nameA) }).click();
    await b.getByRole('heading', { name: nameA }).waitFor(WAIT);
    await b.getByRole('button', { name: 'Back to conversations' }).click();
    const search = b.getByRole('searchbox', { name: 'Search messages' });
    await search.fill('edited');
    await search.press('Enter');
    const hit = b.getByRole('list', { name: 'Search results' }).getByRole('button', {
      name: /Hello from A, edited/,
    });
    await hit.waitFor(WAIT);
    expect(await hit.locator('mark').allTextContents()).toEqual(['edited']);
    await b.screenshot({ path: join(SHOTS, 'phone-search.png') });
    await hit.click();
    await b.getByRole('heading', { name: `# ${room}` }).waitFor(WAIT);
    await b.locator('#timeline li.found').filter({ hasText: 'Hello from A, edited' }).waitFor(WAIT);
  } finally {
    await ctxA.close();
    await ctxB.close();
  }
}, 180_000);

it('goes back in history: older pages on demand, a search hit older than the loaded page, more search results', async () => {
  const ctx = await browser!.newContext({ viewport: { width: 1100, height: 720 } });
  try {
    const { page, name } = await person(ctx);
    const first = uniqueName('past').slice(0, 24);
    await page.getByLabel('New room name').fill(first);
    await page.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: `# ${first}` }).waitFor(WAIT);
    // 70 messages over REST as the same user: more than the 50 a room opens with.
    const session = await login(svc!.baseUrl, name, 'correct horse battery');
    expect(session.status).toBe(200);
    const token = session.body.accessToken as string;
    const mine = await http(svc!.baseUrl, 'GET', '/api/users/me/rooms', { token });
    const id = (mine.body.items as { id: string; name: string }[]).find(
      (r) => r.name === first,
    )!.id;
    for (let i = 1; i <= 70; i++) {
      const sent = await http(svc!.baseUrl, 'POST', `/api/rooms/${id}/messages`, {
        token,
        body: { content: `haystack ${i} token${i}q` },
      });
      expect(sent.status).toBe(201);
    }
    await message(page, 'token70q').waitFor(WAIT);

    // Coming back later (a new page load: nothing cached), the room opens with its newest 50
    // and offers the older ones.
    const reload = async () => {
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
    };
    await reload();
    await page
      .getByRole('button', { name: new RegExp(first) })
      .first()
      .click();
    await message(page, 'token21q').waitFor(WAIT);
    expect(await page.locator('#timeline > li').count()).toBe(50);
    await page.getByRole('button', { name: 'Load older messages' }).click();
    await message(page, 'token1q').waitFor(WAIT);
    expect(await page.locator('#timeline > li').count()).toBe(70);
    await page.getByRole('button', { name: 'Load older messages' }).waitFor({
      state: 'hidden',
      ...WAIT,
    });

    // Search: 70 hits come 20 at a time.
    await reload();
    const search = page.getByRole('searchbox', { name: 'Search messages' });
    await search.fill('haystack');
    await search.press('Enter');
    const results = page.getByRole('list', { name: 'Search results' }).getByRole('button');
    await page.getByText('20 messages so far.').waitFor(WAIT);
    expect(await results.count()).toBe(20);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('40 messages so far.').waitFor(WAIT);
    expect(await results.count()).toBe(40);

    // A hit older than the page a room opens with: the room loads back to it and shows it.
    await search.fill('token3q');
    await search.press('Enter');
    const hit = results.filter({ hasText: 'token3q' });
    await hit.waitFor(WAIT);
    await hit.click();
    await page.getByRole('heading', { name: `# ${first}` }).waitFor(WAIT);
    const found = page.locator('#timeline li.found').filter({ hasText: 'token3q' });
    await found.waitFor(WAIT);
    expect(await found.isVisible()).toBe(true);
  } finally {
    await ctx.close();
  }
}, 180_000);
