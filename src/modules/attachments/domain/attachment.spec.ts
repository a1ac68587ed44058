import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/errors/domain-error.js';
import {
  checkAttachmentIds,
  checkDeclaration,
  newObjectKey,
  OBJECT_KEY_PATTERN,
} from './attachment.js';
import { contentDisposition } from './content-disposition.js';

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof DomainError ? e.code : 'other';
  }
};
const decl = (over: Partial<{ filename: string; contentType: string; size: number }> = {}) => ({
  filename: 'photo.png',
  contentType: 'image/png',
  size: 10,
  ...over,
});

describe('checkDeclaration', () => {
  it('accepts plain names, media types with parameters, sizes 1..max', () => {
    expect(checkDeclaration(decl(), 10)).toEqual(decl());
    expect(codeOf(() => checkDeclaration(decl({ filename: 'ü'.repeat(255) }), 10))).toBeNull();
    expect(
      codeOf(() => checkDeclaration(decl({ contentType: 'text/plain; charset=utf-8' }), 10)),
    ).toBeNull();
    expect(codeOf(() => checkDeclaration(decl({ filename: 'a..b .tar.gz' }), 10))).toBeNull();
  });

  it.each([
    [{ size: 0 }, 'ATTACHMENT_SIZE_INVALID'],
    [{ size: -1 }, 'ATTACHMENT_SIZE_INVALID'],
    [{ size: 11 }, 'ATTACHMENT_SIZE_INVALID'],
    [{ size: 1.5 }, 'ATTACHMENT_SIZE_INVALID'],
    [{ filename: '' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'x'.repeat(256) }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'a/b' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'a\\b' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: '..' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'tab\there' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'nul\u0000' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'c1\u0085' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ filename: 'sep\u2028' }, 'ATTACHMENT_FILENAME_INVALID'],
    [{ contentType: 'png' }, 'ATTACHMENT_CONTENT_TYPE_INVALID'],
    [{ contentType: 'text/plain\r\nX-Evil: 1' }, 'ATTACHMENT_CONTENT_TYPE_INVALID'],
  ])('refuses %j with %s', (over, code) => {
    expect(codeOf(() => checkDeclaration(decl(over), 10))).toBe(code);
  });
});

describe('checkAttachmentIds', () => {
  it('refuses more than 10 and repeats with ATTACHMENT_INVALID', () => {
    const ids = Array.from({ length: 11 }, (_, i) => `id-${i}`);
    expect(codeOf(() => checkAttachmentIds(ids.slice(0, 10)))).toBeNull();
    expect(codeOf(() => checkAttachmentIds(ids))).toBe('ATTACHMENT_INVALID');
    expect(codeOf(() => checkAttachmentIds(['a', 'a']))).toBe('ATTACHMENT_INVALID');
  });
});

describe('object keys', () => {
  it('are 256 random bits, path-safe, never the same', () => {
    const keys = new Set(Array.from({ length: 1000 }, newObjectKey));
    expect(keys.size).toBe(1000);
    for (const k of keys) expect(k).toMatch(OBJECT_KEY_PATTERN);
  });
});

describe('contentDisposition', () => {
  it('shows raster images in place, downloads everything else, and encodes the name', () => {
    expect(contentDisposition('a.png', 'image/png')).toMatch(/^inline; /);
    expect(contentDisposition('a.svg', 'image/svg+xml')).toMatch(/^attachment; /);
    expect(contentDisposition('a.html', 'text/html')).toMatch(/^attachment; /);
    expect(contentDisposition('ünï "q".txt', 'text/plain')).toBe(
      `attachment; filename="_n_ _q_.txt"; filename*=UTF-8''%C3%BCn%C3%AF%20%22q%22.txt`,
    );
  });
});
