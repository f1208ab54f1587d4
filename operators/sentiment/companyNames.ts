// Default symbol → company names map for entity linking. Extend by spreading: { ...defaultCompanyNames, ACME: ["Acme"] }.

/** Names are matched case-sensitively on word boundaries, with or without a possessive ("Apple's"). */
export type CompanyNames = Readonly<Record<string, readonly string[]>>;

const defaultCompanyNames: CompanyNames = {
  AAPL: ["Apple"],
  MSFT: ["Microsoft"],
  GOOGL: ["Alphabet", "Google"],
  AMZN: ["Amazon"],
  NVDA: ["Nvidia"],
  TSLA: ["Tesla"],
  META: ["Meta Platforms", "Meta", "Facebook"],
};

export default defaultCompanyNames;
export { defaultCompanyNames };
