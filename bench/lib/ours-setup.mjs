// Test data for the chat backend, made through its public REST API.
//
// Users: register is argon2id-hashed (tens of ms each on one core), so a run registers a few
// hundred users once and reuses their access tokens (JWT_ACCESS_TTL_SEC=86400, a fixed
// JWT_SECRET and one database for the whole run, so tokens survive server restarts). Sockets
// authenticate with `Authorization: Bearer` on the upgrade, as non-browser clients may; many
// sockets per user is normal for the server (tabs, devices). Rooms are created per scenario.
const json = (body) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function call(url, init, token) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : null;
}

async function pooled(items, concurrency, fn) {
  let next = 0;
  const out = new Array(items.length);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        out[k] = await fn(items[k], k);
      }
    }),
  );
  return out;
}

const run = Date.now().toString(36);

const register = (baseUrl, usernames) =>
  pooled(usernames, 4, async (username) => {
    const body = await call(
      `${baseUrl}/api/auth/register`,
      json({ username, email: `${username}@bench.test`, password: 'bench password 1234' }),
    );
    return { id: body.user.id, username, token: body.accessToken };
  });

export class OursFixture {
  constructor() {
    this.users = [];
  }

  /**
   * Makes sure at least n users exist (registered through the API), answers the first n. These
   * are shared: a run's earlier scenarios have put them in their rooms.
   */
  async ensureUsers(baseUrl, n) {
    const missing = n - this.users.length;
    if (missing > 0) {
      const start = this.users.length;
      this.users.push(
        ...(await register(
          baseUrl,
          Array.from({ length: missing }, (_, k) => `b${run}_${start + k}`),
        )),
      );
    }
    return this.users.slice(0, n);
  }

  /**
   * n users of the caller's own, in no room yet: for a scenario whose figure depends on what
   * rooms a user is in (search reads the caller's rooms, the sidebar lists them), so the rooms
   * earlier scenarios of the same run made do not change what it measures.
   */
  async freshUsers(baseUrl, n, tag) {
    return register(
      baseUrl,
      Array.from({ length: n }, (_, k) => `b${run}_${tag}${Date.now().toString(36)}_${k}`),
    );
  }

  /**
   * Rooms whose members are users[memberOf(room, k)]; the first member owns the room, the
   * others join it. Answers [{id, members: [user...]}].
   */
  async rooms(baseUrl, { rooms, membersPerRoom, users, tag }) {
    const specs = Array.from({ length: rooms }, (_, r) => ({
      r,
      members: Array.from(
        { length: membersPerRoom },
        (_, k) => users[(r * membersPerRoom + k) % users.length],
      ),
    }));
    const made = await pooled(specs, 8, async ({ r, members }) => {
      const room = await call(
        `${baseUrl}/api/rooms`,
        json({ name: `bench-${run}-${tag}-${r}`, isPrivate: false }),
        members[0].token,
      );
      return { id: room.id, members };
    });
    // Joins to one room go one at a time: concurrent joins of the same room deadlock in the
    // server (500 "deadlock detected"; reported, see bench/README.md). Rooms go in parallel.
    await pooled(made, 8, async (room) => {
      const seen = new Set([room.members[0].id]);
      for (const u of room.members) {
        if (seen.has(u.id)) continue;
        seen.add(u.id);
        await call(`${baseUrl}/api/rooms/${room.id}/join`, json({}), u.token);
      }
    });
    return made;
  }
}

/**
 * `n` rooms of two straight in the database (the API would take one request per room): owned by
 * `owner`, with `member` in each. Answers the rooms' ids, in creation order.
 */
export async function seedRoomsOfTwo(client, { tag, owner, member, n }) {
  const { rows } = await client.query(
    `INSERT INTO rooms (name, owner_id, is_private, member_count)
     SELECT $1 || '-' || g, $2, false, 2 FROM generate_series(1, $3::int) g RETURNING id`,
    [tag, owner.id, n],
  );
  const ids = rows.map((r) => r.id);
  await client.query(
    `INSERT INTO room_members (room_id, user_id, role)
     SELECT r, $2::uuid, 'owner' FROM unnest($1::uuid[]) r
     UNION ALL SELECT r, $3::uuid, 'member' FROM unnest($1::uuid[]) r`,
    [ids, owner.id, member.id],
  );
  return ids;
}
