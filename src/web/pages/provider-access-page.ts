/**
 * The public page that explains the Provider Access API in plain language: a part for members and a part
 * for providers.
 *
 * What it must say comes from the rule. CMS-0057-F, 42 CFR 431.61(a) for Medicaid (457.731(a) for CHIP),
 * has two parts. "Opt out and patient educational resources" asks for plain-language material for members:
 * the benefits of the exchange, the right to opt out and to opt back in at any time, and how to do both.
 * "Provider resources" asks for plain-language material for providers: how to ask for member data through
 * the API, and how to use the payer's attribution process. The data and exclusions are from 431.61(a)(2):
 * dates of service from 2016-01-01, without provider remittances or enrollee cost-sharing; prescription
 * drugs are left out of prior authorization everywhere in the rule.
 *
 * Sentences in the member part are short on purpose (aim: 6th to 8th grade reading level); the unit test
 * measures them. The provider part is for technical staff and is not measured.
 */
import { html, renderPage } from '../html.js';
import { MEMBER_CONTACT_PLACEHOLDER } from './patient-access-page.js';

export interface ProviderAccessPageParams {
  /** The FHIR base URL provider systems connect to, e.g. `https://example.org/fhir`. */
  fhirBase: string;
  /** The authorization server's issuer; the member account pages live under it. */
  issuer: string;
}

/** Contact details only the program can give, shown as a visible placeholder like those of the Patient Access page. */
export const PROVIDER_CONTACT_PLACEHOLDER = '[To be filled in by the program: how providers and their vendors contact the program about the Provider Access API.]';

/** The PDex `exportType` codes a provider may ask for (PDex 2.2 §pdex-297), with what each one returns. */
export const PROVIDER_EXPORT_TYPES = [
  { code: 'hl7.fhir.us.davinci-pdex#provider-download', what: 'all the data you may have for the members, to add to your own records' },
  { code: 'hl7.fhir.us.davinci-pdex#provider-delta', what: 'only what changed since the time you give in _since; _since is then required' },
  { code: 'hl7.fhir.us.davinci-pdex#provider-snapshot', what: 'the data as it stands now, for viewing only and not to be added to the patient record' },
] as const;

// The versions this server follows (docs/research/provider-access.md).
const SPECIFICATIONS = [
  { name: 'Bulk Data Access 2.0', what: 'Group export, status polling and NDJSON files', url: 'https://hl7.org/fhir/uv/bulkdata/STU2/' },
  { name: 'Da Vinci PDex 2.2', what: 'provider access: member match, data export and the data profiles', url: 'https://hl7.org/fhir/us/davinci-pdex/STU2.2/' },
  { name: 'SMART Backend Services', what: 'how your system gets an access token', url: 'https://hl7.org/fhir/smart-app-launch/backend-services.html' },
  { name: 'Da Vinci ATR', what: 'member attribution lists and the $davinci-data-export operation', url: 'https://hl7.org/fhir/us/davinci-atr/' },
] as const;

export function providerAccessPage(p: ProviderAccessPageParams): string {
  const optOutPage = `${p.issuer}/account/provider-access`;
  const capabilityStatement = `${p.fhirBase}/metadata`;
  // SMART App Launch 2.x §Conformance: discovery is published relative to the FHIR base URL.
  const smartConfiguration = `${p.fhirBase}/.well-known/smart-configuration`;

  const body = html`<h1>Provider Access API: sharing your health information with your providers</h1>
<p class="lead">Your doctors and other providers can get your health information from us. This helps them care for you. You can say no at any time.</p>

<nav aria-labelledby="contents-heading">
<h2 id="contents-heading">On this page</h2>
<ul>
<li><a href="#members">For members</a>
<ul>
<li><a href="#what">What Provider Access is</a></li>
<li><a href="#who">Which providers can get your information</a></li>
<li><a href="#shared">What information they can get</a></li>
<li><a href="#not-shared">What they do not get</a></li>
<li><a href="#opt-out">How to opt out or opt back in</a></li>
<li><a href="#after">What happens if you opt out</a></li>
<li><a href="#help">How to get help</a></li>
</ul>
</li>
<li><a href="#providers">For providers</a>
<ul>
<li><a href="#provider-data">What the API gives you</a></li>
<li><a href="#provider-how">How to get the data</a></li>
<li><a href="#provider-who">Who may use it</a></li>
<li><a href="#provider-attribution">How members are linked to you</a></li>
<li><a href="#provider-excluded">What is left out</a></li>
<li><a href="#provider-endpoints">Endpoints</a></li>
<li><a href="#provider-specs">Specifications</a></li>
<li><a href="#provider-contact">Contact</a></li>
</ul>
</li>
</ul>
</nav>

<section aria-labelledby="members">
<h2 id="members">For members</h2>

<h3 id="what">What Provider Access is</h3>
<p>Provider Access is a safe link between us and your providers.
Your doctors and other providers who treat you can use it.
They can get your health information from us.
A federal rule requires it.
The rule is called the CMS Interoperability and Prior Authorization rule (CMS-0057-F).</p>
<p>This can help your care. For example:</p>
<ul>
<li>Your doctor can see care you got from other providers.</li>
<li>Your doctor can see the medicines other doctors gave you.</li>
<li>You may not need the same test twice.</li>
<li>You do not have to remember every visit.</li>
</ul>

<h3 id="who">Which providers can get your information</h3>
<p>Only providers in our network can get it.
They must be enrolled with the Medicaid program.
And we must link them to you as part of your care team.
We link a provider to you when:</p>
<ul>
<li>the provider is your primary care provider (your PCC or PCP), or</li>
<li>the provider has treated you.</li>
</ul>
<p>A provider must also tell us that they treat you.
We check each time a provider asks.
We also check that you have Medicaid on that day.</p>

<h3 id="shared">What information they can get</h3>
<ul>
<li>Claims and visits. These show the care you got, when and where.</li>
<li>Health records. These include your health problems, lab test results and medicines.</li>
<li>Prior authorizations. Some services need our OK before you get them. Providers can see what was asked for and what we said.</li>
</ul>
<p>The information goes back to January 1, 2016.</p>

<h3 id="not-shared">What they do not get</h3>
<ul>
<li>what you paid or owe, like a copay</li>
<li>what we paid your providers</li>
<li>prior authorizations for prescription drugs</li>
</ul>

<h3 id="opt-out">How to opt out or opt back in</h3>
<p>You are in Provider Access unless you say no.
You do not need to do anything to be in.
To opt out means you say no to sharing this way.
You can opt out at any time.
You can opt back in at any time too.</p>
<p>There are three ways to opt out or opt back in:</p>
<ol>
<li>Sign in to <a href="${optOutPage}">your Provider Access page in your account</a> at <code>${optOutPage}</code>. Use your Member ID, date of birth and password. Then make your choice.</li>
<li>Use a health app you trust that offers this choice. The app sends your choice to us.</li>
<li>Call Member Customer Service. Ask them to opt you out or back in.</li>
</ol>
<p>Your choice counts right away.
If you opt out, we stop sharing at once.
This includes requests that we are still working on.
A parent, guardian or someone who acts for you can also make this choice.</p>

<h3 id="after">What happens if you opt out</h3>
<p>Opting out does not change your Medicaid benefits.
It does not change your care.
Your providers can still get your information in other ways the law allows.
For example, they can still ask you for it.</p>
<p>You can also see your own information in an app you choose.
Read about <a href="/patient-access">the Patient Access API and how to connect an app</a>.</p>

<h3 id="help">How to get help</h3>
<p>Call Member Customer Service if you have questions.
They can help you opt out or opt back in.</p>
<div class="notice"><p>${MEMBER_CONTACT_PLACEHOLDER}</p></div>
</section>

<section aria-labelledby="providers">
<h2 id="providers">For providers</h2>
<p>This part is for providers and the people who run their systems.</p>

<h3 id="provider-data">What the API gives you</h3>
<p>In-network providers can get data, in bulk or one member at a time, for the members attributed to them:</p>
<ul>
<li>claims and encounters (CARIN Blue Button ExplanationOfBenefit), without provider remittances and enrollee cost-sharing;</li>
<li>clinical data (US Core): conditions, observations and lab results, medications, allergies, procedures, immunizations, encounters, documents and more;</li>
<li>prior authorizations other than for drugs (PDex): status, dates, items, quantities and denial reasons.</li>
</ul>
<p>Data covers dates of service from 2016-01-01.</p>

<h3 id="provider-how">How to get the data</h3>
<ul>
<li>Bulk export of an attribution list (Bulk Data Access): <code>GET ${p.fhirBase}/Group/[id]/$export</code> with <code>Prefer: respond-async</code>, then poll the status URL from <code>Content-Location</code> and download the NDJSON files in the manifest. <code>_since</code> and <code>_type</code> are supported.</li>
<li>Match and export (Da Vinci PDex provider access): <code>POST ${p.fhirBase}/Group/$provider-member-match</code> with each patient's demographics, coverage and your treatment attestation. The matched members come back as a Group. Then <code>POST ${p.fhirBase}/Group/[id]/$davinci-data-export</code> with <code>Prefer: respond-async</code> and one <code>exportType</code>:
<ul>
${PROVIDER_EXPORT_TYPES.map((t) => html`<li><code>${t.code}</code>: ${t.what}</li>\n`)}</ul>
</li>
<li>One member at a time: <code>GET ${p.fhirBase}/Patient/[id]/$everything</code>, or searches with <code>patient=[id]</code>, such as <code>ExplanationOfBenefit?patient=[id]</code> or <code>Condition?patient=[id]</code>.</li>
</ul>

<h3 id="provider-who">Who may use it</h3>
<ul>
<li>In-network providers enrolled with the Medicaid program.</li>
<li>Your system connects as a SMART Backend Services client (client_credentials with a signed JWT assertion). The program registers the client to your organization.</li>
<li>Your organization's Primary User decides which clients, subordinate users and business partners act for which of your provider IDs and service locations (PID/SLs). Nobody sees another organization's members.</li>
</ul>

<h3 id="provider-attribution">How members are linked to you (attribution)</h3>
<p>A member is attributed to your organization when:</p>
<ul>
<li>you are the member's assigned Primary Care Clinician (PCC) or primary care provider (PCP);</li>
<li>you have recent claims for the member; or</li>
<li>you ask for the member, through <code>$provider-member-match</code> with a treatment attestation, and the program checks and accepts the request.</li>
</ul>
<p>The treatment relationship is checked again at every request: the member must be enrolled on that day and attributed to your organization.
Members who opted out are left out of every response, including exports already running when they opted out.</p>

<h3 id="provider-excluded">What is left out</h3>
<ul>
<li>provider remittances (amounts paid to providers, payment and payee details);</li>
<li>enrollee cost-sharing (copays, coinsurance, deductibles and what the member owes);</li>
<li>prior authorizations for prescription drugs;</li>
<li>every member who has opted out.</li>
</ul>

<h3 id="provider-endpoints">Endpoints</h3>
<ul>
<li>FHIR base URL: <code>${p.fhirBase}</code></li>
<li>Read the <a href="${capabilityStatement}">FHIR CapabilityStatement of this server</a> (<code>${capabilityStatement}</code>).</li>
<li>Read the <a href="${smartConfiguration}">SMART configuration of this server</a> (<code>${smartConfiguration}</code>). Its <code>token_endpoint</code> is where your client gets access tokens.</li>
</ul>

<h3 id="provider-specs">Specifications</h3>
<ul>
${SPECIFICATIONS.map((s) => html`<li><a href="${s.url}">${s.name}</a>, for ${s.what}</li>\n`)}</ul>

<h3 id="provider-contact">Contact</h3>
<p>To register a client or ask about attribution, contact the program.</p>
<div class="notice"><p>${PROVIDER_CONTACT_PLACEHOLDER}</p></div>
</section>`;

  return renderPage({ title: 'Provider Access API', body });
}
