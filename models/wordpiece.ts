// BERT's tokenizer from a WordPiece vocabulary (vocab.txt, one token per line, its line number the id): the basic
// tokenizer (clean, optional lower-casing with accents stripped, split on whitespace and punctuation, CJK
// characters apart) then greedy longest-match-first WordPiece with "##" continuations, as Hugging Face's
// BertTokenizer does, so a FinBERT export gets the ids it was trained on.

export interface WordPieceOptions {
  /** Lower-case and strip accents first (uncased models, e.g. FinBERT). Default true. */
  readonly lowercase?: boolean;
  /** Words longer than this become [UNK]. Default 100. */
  readonly maxCharsPerWord?: number;
}

export interface Encoded {
  /** [CLS] tokens [SEP], truncated to maxLength. */
  readonly ids: number[];
}

export class WordPieceTokenizer {
  readonly vocab: ReadonlyMap<string, number>;
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  readonly unk: number;
  private readonly lowercase: boolean;
  private readonly maxChars: number;

  constructor(vocabText: string, o: WordPieceOptions = {}) {
    const vocab = new Map<string, number>();
    vocabText.split(/\r?\n/).forEach((line, i) => {
      const token = line.replace(/\r$/, "");
      if (token !== "" && !vocab.has(token)) vocab.set(token, i);
    });
    const special = (t: string): number => {
      const id = vocab.get(t);
      if (id === undefined) throw new Error(`WordPiece vocabulary has no ${t} token`);
      return id;
    };
    this.vocab = vocab;
    this.cls = special("[CLS]");
    this.sep = special("[SEP]");
    this.pad = special("[PAD]");
    this.unk = special("[UNK]");
    this.lowercase = o.lowercase ?? true;
    this.maxChars = o.maxCharsPerWord ?? 100;
  }

  /** The word-level split of BERT's BasicTokenizer. */
  basicTokens(text: string): string[] {
    let t = "";
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (c === 0 || c === 0xfffd || isControl(ch)) continue;
      t += isWhitespace(ch) ? " " : isCjk(c) ? ` ${ch} ` : ch;
    }
    const out: string[] = [];
    for (let word of t.split(" ")) {
      if (word === "") continue;
      if (this.lowercase)
        word = word
          .toLowerCase()
          .normalize("NFD")
          .replace(/\p{Mn}/gu, "");
      let cur = "";
      for (const ch of word) {
        if (isPunctuation(ch)) {
          if (cur) out.push(cur);
          out.push(ch);
          cur = "";
        } else cur += ch;
      }
      if (cur) out.push(cur);
    }
    return out;
  }

  /** WordPiece pieces of one basic token: the longest vocabulary prefix, then "##" continuations; else [UNK]. */
  pieces(word: string): number[] {
    const chars = [...word];
    if (chars.length > this.maxChars) return [this.unk];
    const out: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? "##" : "") + chars.slice(start, end).join("");
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [this.unk];
      out.push(found);
      start = end;
    }
    return out;
  }

  /** [CLS] + the text's pieces + [SEP], at most `maxLength` ids (the pieces are cut, [SEP] kept). */
  encode(text: string, maxLength = 128): number[] {
    const ids = [this.cls];
    for (const w of this.basicTokens(text)) {
      for (const id of this.pieces(w)) {
        if (ids.length >= maxLength - 1) break;
        ids.push(id);
      }
      if (ids.length >= maxLength - 1) break;
    }
    ids.push(this.sep);
    return ids;
  }
}

const isWhitespace = (ch: string): boolean => /\s/u.test(ch);
const isControl = (ch: string): boolean => ch !== "\t" && ch !== "\n" && ch !== "\r" && /\p{Cc}|\p{Cf}/u.test(ch);
/** ASCII non-alphanumerics count as punctuation (as in BERT), and every Unicode P* character. */
const isPunctuation = (ch: string): boolean => {
  const c = ch.codePointAt(0)!;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return /\p{P}/u.test(ch);
};
const isCjk = (c: number): boolean =>
  (c >= 0x4e00 && c <= 0x9fff) ||
  (c >= 0x3400 && c <= 0x4dbf) ||
  (c >= 0x20000 && c <= 0x2a6df) ||
  (c >= 0x2a700 && c <= 0x2b73f) ||
  (c >= 0x2b740 && c <= 0x2b81f) ||
  (c >= 0x2b820 && c <= 0x2ceaf) ||
  (c >= 0xf900 && c <= 0xfaff) ||
  (c >= 0x2f800 && c <= 0x2fa1f);
