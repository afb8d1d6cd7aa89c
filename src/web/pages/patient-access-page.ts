/**
 * The public page that explains the Patient Access API to members, in plain language (issue 4, "Plain
 * language"), with a short part for app developers at the end.
 *
 * What members must be told comes from the rule: CMS-0057-F keeps the Patient Access API of CMS-9115-F
 * (42 CFR 431.60) and adds prior authorizations to it. 42 CFR 431.60(f) asks the program to give members
 * plain-language material on privacy and security when they use an app: how to pick an app, that most apps
 * are not covered by HIPAA, and how to complain to the HHS Office for Civil Rights or the FTC.
 *
 * Sentences are short on purpose (aim: 6th to 8th grade reading level); the unit test measures them.
 * Contact details are the program's to give: MISSION.md names none, so they are clearly marked
 * placeholders until the program fills them in.
 */
import { html, renderPage } from '../html.js';

export interface PatientAccessPageParams {
  /** The FHIR base URL apps connect to, e.g. `https://example.org/fhir`. */
  fhirBase: string;
  /** The authorization server's issuer; the account page and registration live under it. */
  issuer: string;
}

/** Contact details only the program can give; shown as visible placeholders so nobody mistakes them for real ones. */
export const MEMBER_CONTACT_PLACEHOLDER = '[To be filled in by the program: member customer service phone number, TTY number and hours.]';
export const DEVELOPER_CONTACT_PLACEHOLDER = '[To be filled in by the program: how app developers contact the program.]';

// The versions the server's profiles were translated from (profiles/, capability-statement/).
const GUIDES = [
  { name: 'CARIN Blue Button 2.1', what: 'claims and encounters', url: 'https://hl7.org/fhir/us/carin-bb/STU2.1/' },
  { name: 'US Core 6.1', what: 'clinical data', url: 'https://hl7.org/fhir/us/core/STU6.1/' },
  { name: 'Da Vinci Payer Data Exchange (PDex)', what: 'prior authorizations and other payer data', url: 'https://hl7.org/fhir/us/davinci-pdex/' },
] as const;

export function patientAccessPage(p: PatientAccessPageParams): string {
  const account = `${p.issuer}/account`;
  // SMART App Launch 2.x §Conformance: discovery is published relative to the FHIR base URL.
  const smartConfiguration = `${p.fhirBase}/.well-known/smart-configuration`;
  const capabilityStatement = `${p.fhirBase}/metadata`;
  const registration = `${p.issuer}/auth/register`;

  const body = html`<h1>Patient Access API: your health information in an app you choose</h1>
<p class="lead">You can see your Medicaid information in a health app on your phone or computer. You pick the app.</p>

<nav aria-labelledby="contents-heading">
<h2 id="contents-heading">On this page</h2>
<ul>
<li><a href="#what">What the Patient Access API is</a></li>
<li><a href="#connect">How to connect an app</a></li>
<li><a href="#data">What information an app can get</a></li>
<li><a href="#stop">How to stop an app from getting your information</a></li>
<li><a href="#privacy">How to keep your information safe</a></li>
<li><a href="#help">How to get help</a></li>
<li><a href="#developers">Information for app developers</a></li>
</ul>
</nav>

<section aria-labelledby="what">
<h2 id="what">What the Patient Access API is</h2>
<p>The Patient Access API is a safe way for apps to get your health information from us.
A federal rule gives you this right.
The rule is called the CMS Interoperability and Prior Authorization rule (CMS-0057-F).</p>
<p>You decide which app gets your information.
You can stop an app at any time.
Using an app is your choice.
Your Medicaid benefits stay the same if you do not use one.</p>
<p>To learn how your doctors can get your information from us, and how to say no, read <a href="/provider-access">the Provider Access page</a>.</p>
</section>

<section aria-labelledby="connect">
<h2 id="connect">How to connect an app</h2>
<ol>
<li>Get a health app that you trust. Open it and look for a way to connect to Medicaid.</li>
<li>The app sends you to our sign-in page. Check the web address before you type anything. It starts with <code>${p.issuer}/</code>.</li>
<li>Sign in with your Member ID, your date of birth and your password. Your Member ID is on your Medicaid card.</li>
<li>We show you the app's name. We also show what the app wants to see.</li>
<li>Untick anything you do not want to share. Then choose <b>Allow</b>. Or choose <b>Don't allow</b> to say no.</li>
</ol>
<p>We never give your password to the app.</p>
</section>

<section aria-labelledby="data">
<h2 id="data">What information an app can get</h2>
<p>An app gets only what you allow. It can get these kinds of information.</p>

<h3>Claims and visits</h3>
<p>These are bills from your doctors, hospitals, pharmacies and dentists.
They start on January 1, 2016.
Each one shows what we paid.
It also shows what you owe, if anything.</p>

<h3>Health records</h3>
<p>These are records about your health care, such as:</p>
<ul>
<li>health problems and conditions</li>
<li>medicines</li>
<li>lab test results</li>
<li>shots (immunizations)</li>
<li>allergies</li>
<li>procedures, like a surgery or a scan</li>
<li>care plans and health goals</li>
</ul>

<h3>Prior authorizations</h3>
<p>Some services need our OK before you get them.
This OK is called a prior authorization.
The app can show you:</p>
<ul>
<li>if your request was approved, denied or is still being checked</li>
<li>the dates of your request and our answer</li>
<li>the items and services we approved</li>
<li>how much of what we approved you have used so far</li>
<li>the reason, if we said no</li>
</ul>
<p>When a prior authorization changes, the app can see the change right away.
Prior authorizations for prescription drugs are not included.</p>

<h3>Your coverage</h3>
<p>This shows your health plan and the dates you are covered.</p>
</section>

<section aria-labelledby="stop">
<h2 id="stop">How to stop an app from getting your information</h2>
<p>You can stop an app at any time.</p>
<ol>
<li>Go to <a href="${account}">your account page, where you can remove apps</a>.</li>
<li>Sign in with your Member ID, date of birth and password.</li>
<li>Find the app. Choose <b>Remove access</b>.</li>
</ol>
<p>The app cannot get new information after that.
It may still have what it got before.
Ask the app company to delete it.</p>
</section>

<section aria-labelledby="privacy">
<h2 id="privacy">How to keep your information safe</h2>
<p>Your doctors and health plans must follow a privacy law called HIPAA.
Most health apps do not have to follow HIPAA.
So an app may use or share your information in other ways.
For example, it may sell it or show you ads.</p>
<p>Before you connect an app, read its privacy policy. Look for answers to these questions:</p>
<ul>
<li>What information will the app collect?</li>
<li>Will it sell or share my information? With whom?</li>
<li>How does it keep my information safe?</li>
<li>Can I ask the app to delete my information?</li>
</ul>
<p>If an app has no privacy policy, think twice before you use it.</p>
<p>Do you think your health plan or doctor broke HIPAA?
You can <a href="https://www.hhs.gov/ocr/complaints/">file a HIPAA complaint with the HHS Office for Civil Rights</a>.</p>
<p>Do you think an app misused your information?
You can <a href="https://reportfraud.ftc.gov/">report the app to the Federal Trade Commission</a>.</p>
</section>

<section aria-labelledby="help">
<h2 id="help">How to get help</h2>
<p>Call Member Customer Service if you have questions.
They can help you connect an app or stop one.</p>
<div class="notice"><p>${MEMBER_CONTACT_PLACEHOLDER}</p></div>
</section>

<section aria-labelledby="developers">
<h2 id="developers">Information for app developers</h2>
<p>This part is for people who build apps.</p>

<h3>Connect to the API</h3>
<ul>
<li>FHIR base URL: <code>${p.fhirBase}</code></li>
<li>Read the <a href="${smartConfiguration}">SMART configuration of this server</a> (<code>${smartConfiguration}</code>).</li>
<li>Read the <a href="${capabilityStatement}">FHIR CapabilityStatement of this server</a>.</li>
<li>Apps use SMART App Launch 2.x: a standalone patient launch with the authorization code flow and PKCE (S256).</li>
</ul>

<h3>Register your app</h3>
<p>Register your app with OAuth 2.0 Dynamic Client Registration (RFC 7591) at <code>${registration}</code>.
Or contact the program to register.</p>
<div class="notice"><p>${DEVELOPER_CONTACT_PLACEHOLDER}</p></div>

<h3>Supported implementation guides</h3>
<ul>
${GUIDES.map((g) => html`<li><a href="${g.url}">${g.name}</a>, for ${g.what}</li>\n`)}</ul>
</section>`;

  return renderPage({ title: 'Patient Access API', body });
}
