// Calls the suite through a client generated from its OpenAPI document: GetClient, and
// GetClient360 by name and by a contact's e-mail, for a client of the demo portfolio. The
// paths and parameters below are type-checked against the generated schema (tsc fails if
// the document stops describing them), then the calls are made and their answers checked.

import createClient from 'openapi-fetch';
import type { paths } from '../generated/schema.js';

declare const process: { env: Record<string, string | undefined> };

const gateway = process.env.GATEWAY ?? 'http://127.0.0.1:8080';
const token = process.env.TOKEN;
if (!token) {
  throw new Error('set TOKEN (e.g. TOKEN=$(cargo run --release -q -p crm -- token --role ADMIN --subject demo-admin))');
}

// A demo client (see the README's walkthrough).
const clientId = '0000002a000000000000000000000000';
const email = 'lixin.liu@yingqianproperty-0.com.cn';
const displayName = '盈乾物业';

const api = createClient<paths>({ baseUrl: gateway, headers: { authorization: `Bearer ${token}` } });

function expect(what: string, ok: boolean, detail: unknown): void {
  if (!ok) {
    throw new Error(`${what}: ${JSON.stringify(detail)}`);
  }
  console.log(`ok  ${what}`);
}

const client = await api.GET('/v1/clients/{clientId}', { params: { path: { clientId } } });
expect('GetClient', client.data?.displayName === displayName, client.error ?? client.data);

const byName = await api.GET('/v1/clients/{clientId}:view360', { params: { path: { clientId } } });
expect('GetClient360 by name', byName.data?.client?.displayName === displayName, byName.error ?? byName.data?.client);

const byEmail = await api.GET('/v1/clients:view360', { params: { query: { contact_email: email } } });
expect(
  'GetClient360 by contact e-mail',
  byEmail.data?.client?.name === `clients/${clientId}` && (byEmail.data?.openCases?.length ?? 0) > 0,
  byEmail.error ?? byEmail.data?.client,
);
