// Mentions: `@username` in a message's content. No framework imports. The names found here
// become user ids only for users who are members of the room (the repository resolves them
// in the statement that stores the message).

// Usernames are 3-32 of A-Z a-z 0-9 _ . - (users/domain/user.ts); an @ inside a word (an
// e-mail address) is not a mention.
const MENTION = /(?<![A-Za-z0-9_.@-])@([A-Za-z0-9_.-]{3,32})/g;
const MAX_MENTIONS = 50;

/**
 * Lower-cased candidate usernames, at most MAX_MENTIONS. Trailing dots and dashes may be
 * punctuation ("thanks @alice."), so the name without them is a candidate too.
 */
export function parseMentionNames(content: string): string[] {
  const out = new Set<string>();
  for (const m of content.matchAll(MENTION)) {
    const name = m[1].toLowerCase();
    const trimmed = name.replace(/[.-]+$/, '');
    for (const candidate of trimmed.length >= 3 ? [name, trimmed] : [name]) {
      // Checked per candidate: a name and its trimmed form must not carry the set past the cap.
      if (out.size >= MAX_MENTIONS) return [...out];
      out.add(candidate);
    }
  }
  return [...out];
}
