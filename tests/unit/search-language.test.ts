import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSearchLanguage, NEGATION, SearchLanguage } from '@/lib/help/search/language';
import { SpellingCorrector } from '@/lib/help/search/spelling';
import { words } from '@/lib/help/search/text';
import { shippedLanguage } from '../contract/search-engine';

const language = new SearchLanguage({
  same: [['sms', 'text message'], ['sign in', 'log in', 'login']],
  also: { hacked: ['unusual activity', 'compromised'], 'google authenticator': ['authenticator app'] },
});
const groups = (query: string) => language.analyze(query).map((g) => g.words.join(' '));

describe('contractions and negations', () => {
  it.each([
    ["Can't", ['cant']],
    ['didn’t get it', ['didnt', 'get', 'it']],
    ["the user's 'quoted' words", ['the', 'users', 'quoted', 'words']],
  ])('words(%s) joins a word across its apostrophe', (text, expected) => {
    expect(words(text)).toEqual(expected);
  });

  it.each([
    ['cant sign in', ['sign in', NEGATION]],
    ["can't sign in", ['sign in', NEGATION]],
    ['i didnt get the sms', ['sms', NEGATION]],
    ['can sign in', ['sign in']],
    ['wont send me a code', ['send', 'code', NEGATION]],
  ])('"%s" is searched as %j', (query, expected) => {
    expect(groups(query)).toEqual(expected);
  });

  it('searches fillers rather than nothing when the query is only fillers', () => {
    expect(groups('how do i')).toEqual(['how', 'do', 'i']);
  });
});

describe('the synonym table', () => {
  it('matches the longest phrase and keeps its alternatives', () => {
    const [group] = language.analyze('google authenticator');
    expect(group).toEqual({ words: ['google', 'authenticator'], alternatives: [['authenticator', 'app']] });
  });

  it('expands "same" groups both ways and "also" entries one way', () => {
    const synonyms = language.meilisearchSynonyms();
    expect(synonyms.sms).toEqual(['text message']);
    expect(synonyms['text message']).toEqual(['sms']);
    expect(synonyms.login).toEqual(expect.arrayContaining(['sign in', 'log in']));
    expect(synonyms.hacked).toEqual(['unusual activity', 'compromised']);
    expect(synonyms['unusual activity']).toBeUndefined();
    expect(synonyms[NEGATION]).toEqual(expect.arrayContaining(["can't", 'cant', "didn't", 'cannot']));
  });

  it('sends Meilisearch the words as typed, minus fillers, with the negation last', () => {
    expect(language.terms("I can't log in to my account")).toEqual(['log', 'in', 'account', NEGATION]);
  });

  it('loads the shipped table from content/_synonyms.yml', () => {
    const shipped = shippedLanguage();
    expect(shipped.size).toBeGreaterThan(50);
    expect(shipped.meilisearchSynonyms().hacked).toEqual(expect.arrayContaining(['unusual activity']));
    expect(shipped.meilisearchSynonyms()['2fa']).toEqual(expect.arrayContaining(['two factor', 'authenticator']));
  });

  it.each([
    ['same: [[sms]]', /_synonyms\.yml: same\.0/],
    ['also: { hacked: [] }', /_synonyms\.yml: also\.hacked/],
    ['also: { "one two three four": [x] }', /must be 1 to 3 words/],
    ['unknown: []', /Unrecognized key/i],
    ['same: [[a, b]', /_synonyms\.yml: not valid YAML/],
  ])('refuses a table with %s, naming the file and entry', (yaml, message) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'regain-synonyms-'));
    writeFileSync(path.join(dir, '_synonyms.yml'), yaml);
    expect(() => loadSearchLanguage(dir)).toThrow(message);
  });

  it('has no synonyms when the content folder has no table', () => {
    expect(loadSearchLanguage(mkdtempSync(path.join(tmpdir(), 'regain-empty-'))).size).toBe(0);
  });
});

describe('spelling correction keeps the question', () => {
  const corrector = new SpellingCorrector(
    ['You can receive a code by SMS. Can we chat? Authorized apps. The code did not arrive; it can be resent.', 'withdrawal hold'],
    new SearchLanguage({ also: { authy: ['authenticator app'] } }),
  );

  it.each([
    ['cant recieve sms', "can't receive sms"],
    ['didnt recieve code', "didn't receive code"],
    ['cnat recieve sms', "can't receive sms"],
    ['withdrawl hold', 'withdrawal hold'],
  ])('corrects "%s" to "%s"', (query, expected) => {
    expect(corrector.correct(query)).toBe(expected);
  });

  it.each(['cant sms', 'didnt', 'wont', 'doesnt arrive', 'authy', 'unauthorized', 'cannot'])('leaves "%s" alone', (query) => {
    expect(corrector.correct(query)).toBeUndefined();
  });

  it('never drops a negating prefix', () => {
    // "unauthorized" is one edit from nothing here and two from "authorized": it stays as typed.
    expect(corrector.correct('unauthorized apps')).toBeUndefined();
  });
});
