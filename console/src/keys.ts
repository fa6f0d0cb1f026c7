// What a search box entry is: a name for ranked search, or an identifier for an exact
// lookup. Decided here so identifiers go straight to LookupClient (one exact answer) and
// names to SearchClients (ranked, Latin and CJK).

export type KeyKind = 'name' | 'phone' | 'email' | 'lei' | 'registration' | 'account';

export interface Detected {
  kind: KeyKind;
  /** LookupClient / GetClient360 query parameters (empty for a name). */
  params: Record<string, string>;
}

const SEPARATORS = /[\s\-().]/g;

/** ISO 17442: 18 alphanumerics and two check digits (ISO 7064 MOD 97-10). */
export function isLei(value: string): boolean {
  if (!/^[A-Z0-9]{18}[0-9]{2}$/.test(value)) return false;
  let remainder = 0;
  for (const ch of value) {
    const code = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** China's unified social credit code (GB 32100-2015), the mainland registration number. */
export function isUscc(value: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(value)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(value[i]) * USCC_WEIGHTS[i];
  return USCC_CHARS[(31 - (sum % 31)) % 31] === value[17];
}

/** Luhn (account numbers carry it). */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Classifies an entry. Phones are sent without separators but otherwise as typed: a caller
 * ID in E.164 (`+8613800138000`) or a national number (`138 0013 8000`), whose matching to
 * the stored E.164 is the profile service's normalisation, not the console's guess.
 */
export function detect(raw: string): Detected {
  const value = raw.trim();
  const upper = value.toUpperCase();
  const compact = value.replace(SEPARATORS, '');
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return { kind: 'email', params: { contact_email: value } };
  if (isLei(upper)) return { kind: 'lei', params: { lei: upper } };
  if (isUscc(upper)) return { kind: 'registration', params: { registration_number: upper, country_code: 'CN' } };
  // `GB:01234567`: a registration number with its country, for formats that do not tell it.
  const withCountry = /^([A-Za-z]{2}):\s*(\S+)$/.exec(value);
  if (withCountry) {
    return {
      kind: 'registration',
      params: { registration_number: withCountry[2], country_code: withCountry[1].toUpperCase() },
    };
  }
  if (/^\+\d{6,15}$/.test(compact)) return { kind: 'phone', params: { contact_phone: compact } };
  if (/^\d+$/.test(compact)) {
    if (compact.length >= 12 && compact.length <= 20 && luhn(compact)) {
      return { kind: 'account', params: { account_number: compact } };
    }
    if (compact.length >= 7 && compact.length <= 12) return { kind: 'phone', params: { contact_phone: compact } };
  }
  return { kind: 'name', params: {} };
}
