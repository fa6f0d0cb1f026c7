// The proto3 JSON shapes the console reads (only the fields it uses; all optional, as
// proto3 JSON omits defaults).

import type { Money } from './fmt';

export interface Client {
  name: string;
  displayName?: string;
  legalName?: string;
  registrationNumber?: string;
  countryCode?: string;
  lei?: string;
  taxId?: string;
  customerType?: string;
  industryCode?: string;
  region?: string;
  city?: string;
  annualTurnover?: Money;
  employeeCount?: string;
  parent?: string;
  relationshipManager?: string;
  lifecycleStage?: string;
  creditGrade?: string;
  dataQuality?: { completeness?: number; missingFields?: string[] };
  etag?: string;
}

export interface Contact {
  name: string;
  displayName?: string;
  jobTitle?: string;
  role?: string;
  phone?: string;
  email?: string;
  preferredChannel?: string;
}

export interface Holding {
  name: string;
  productCode?: string;
  productLine?: string;
  accountNumber?: string;
  balance?: Money;
  limit?: Money;
  openTime?: string;
}

export interface ScoreComponent {
  name: string;
  formula?: string;
  inputs?: Array<{ name: string; value?: string; source?: string }>;
  value?: string;
  unit?: string;
}

export interface ValueScore {
  name?: string;
  client?: string;
  raroc?: number;
  eva?: Money;
  relationshipValue?: Money;
  expectedLoss?: Money;
  marginalFactor?: number;
  compositeScore?: number;
  tier?: string;
  components?: ScoreComponent[];
  modelVersion?: string;
  period?: string;
  moneyWithheld?: boolean;
}

export interface Interaction {
  name: string;
  client?: string;
  channel?: string;
  direction?: string;
  kind?: string;
  occurTime?: string;
  staff?: string[];
  subject?: string;
  summary?: string;
  outcome?: string;
  recordedBy?: string;
  createTime?: string;
}

export interface Case {
  name: string;
  title?: string;
  description?: string;
  category?: string;
  priority?: string;
  state?: string;
  owner?: string;
  resolution?: string;
  dueTime?: string;
  slaHours?: number;
  slaBreached?: boolean;
  createTime?: string;
  updateTime?: string;
  etag?: string;
}

export interface ChannelPreference {
  name: string;
  contact?: string;
  purpose?: string;
  allPurposes?: boolean;
  channel?: string;
  allChannels?: boolean;
  consent?: string;
  preferred?: boolean;
  source?: string;
  recordedBy?: string;
  createTime?: string;
}

export interface AccountPlan {
  name: string;
  client?: string;
  title?: string;
  reviewTime?: string;
  owner?: string;
}

export interface Contactability {
  permissions?: Array<{ purpose?: string; channel?: string; allowed?: boolean; reason?: string; explanation?: string }>;
  preferredChannel?: string;
  doNotContact?: boolean;
}

export interface Recommendation {
  productLine?: string;
  reason?: string;
  lift?: number;
  segmentDisplayName?: string;
  contactable?: boolean;
  suggestedChannel?: string;
  contactReason?: string;
  score?: number;
}

export interface SegmentMembership {
  scheme?: string;
  schemeDisplayName?: string;
  segment?: string;
  segmentDisplayName?: string;
  level?: number;
}

export interface Warning {
  part?: string;
  reason?: string;
  message?: string;
}

export interface Client360 {
  client?: Client;
  contacts?: Contact[];
  holdings?: Holding[];
  warnings?: Warning[];
  segments?: SegmentMembership[];
  valueScore?: ValueScore;
  recentInteractions?: Interaction[];
  openCases?: Case[];
  contactability?: Contactability;
  recommendations?: Recommendation[];
}

export interface TimelineEvent {
  sequence?: string;
  resource?: string;
  client?: string;
  commitTime?: string;
  kind?: string;
  eventTime?: string;
  interaction?: Interaction;
  case?: Case;
  channelPreference?: ChannelPreference;
  accountPlan?: AccountPlan;
}
