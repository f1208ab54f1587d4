// Parses a labelled text CSV (`text,label`, RFC 4180 quoting, a text may span lines) for training text classifiers.

export interface LabelledCsvRow {
  readonly text: string;
  readonly label: number;
  /** 1-based line the record starts on. */
  readonly line: number;
}

/**
 * Reads `text,label` records (header required; extra columns ignored). Labels must be integers in [0, classes).
 * @example parseLabelledCsv('text,label\n"Acme, Inc. beats",1\n', "news.csv", 3) // [{ text: "Acme, Inc. beats", label: 1, line: 2 }]
 * @param source file name for error messages
 * @throws Error naming the file, line and what was wrong
 */
export function parseLabelledCsv(csv: string, source: string, classes: number): LabelledCsvRow[] {
  const records = parseCsvRecords(csv.startsWith("\uFEFF") ? csv.slice(1) : csv, source);
  const header = records[0];
  if (header === undefined) throw new Error(`${source}: empty file; expected a header with columns text and label`);
  const textAt = header.fields.indexOf("text");
  const labelAt = header.fields.indexOf("label");
  if (textAt < 0 || labelAt < 0) throw new Error(`${source}:1: header is [${header.fields.join(", ")}]; expected columns text and label`);
  const out: LabelledCsvRow[] = [];
  for (const r of records.slice(1)) {
    if (r.fields.length === 1 && r.fields[0] === "") continue; // blank line
    const text = r.fields[textAt];
    const raw = r.fields[labelAt];
    if (text === undefined || raw === undefined) throw new Error(`${source}:${r.line}: ${r.fields.length} column(s), expected text and label`);
    const label = Number(raw);
    if (!(raw.trim() !== "" && Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new Error(`${source}:${r.line}: label "${raw}" must be an integer 0 … ${classes - 1}`);
    }
    out.push({ text, label, line: r.line });
  }
  return out;
}

interface CsvRecord {
  fields: string[];
  line: number;
}

function parseCsvRecords(s: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\n") line++;
    if (quoted) {
      if (c !== '"') field += c;
      else if (s[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n") {
      fields.push(field);
      records.push({ fields, line: start });
      fields = [];
      field = "";
      start = line;
    } else if (c !== "\r") field += c;
  }
  if (quoted) throw new Error(`${source}:${start}: a quoted field is not closed before the end of the file`);
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    records.push({ fields, line: start });
  }
  return records;
}
