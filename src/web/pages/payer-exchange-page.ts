/**
 * The public page that explains the Payer-to-Payer exchange to members in plain language.
 *
 * What it must say comes from the rule. CMS-0057-F, 42 CFR 431.61(b) for Medicaid (457.731(b) for
 * CHIP), asks the payer to give members plain-language material on the benefits of the exchange, on
 * their right to opt in and to withdraw that permission, and on how to do both. The facts are the
 * rule's and this server's: the new payer asks for the previous and concurrent payers at enrollment;
 * data moves only after the member opts in; five years of dates of service; claims and encounters
 * without provider remittances or enrollee cost-sharing; clinical data; prior authorizations pending
 * or approved, never for drugs (the rule) and never denied ones (the program, MISSION.md); concurrent
 * payers exchange at least quarterly; an opt-in here lasts five years (member-choice.ts).
 *
 * Sentences are short on purpose (aim: 6th to 8th grade reading level); the unit test measures them.
 */
import { html, renderPage } from '../html.js';
import { MEMBER_CONTACT_PLACEHOLDER } from './patient-access-page.js';

export interface PayerExchangePageParams {
  /** The authorization server's issuer; the member account pages live under it. */
  issuer: string;
}

export function payerExchangePage(p: PayerExchangePageParams): string {
  const choicePage = `${p.issuer}/account/payer-exchange`;

  const body = html`<h1>Payer-to-Payer exchange: getting your records from your other health plans</h1>
<p class="lead">We can get your health records from your other health plans. This helps us care for you. We only do it if you say yes.</p>

<nav aria-labelledby="contents-heading">
<h2 id="contents-heading">On this page</h2>
<ul>
<li><a href="#what">What the exchange is</a></li>
<li><a href="#who">Which health plans we ask</a></li>
<li><a href="#shared">What we get</a></li>
<li><a href="#not-shared">What we do not get</a></li>
<li><a href="#opt-in">How to say yes</a></li>
<li><a href="#withdraw">How to stop</a></li>
<li><a href="#after">If you do not say yes</a></li>
<li><a href="#other-way">When a new plan asks us</a></li>
<li><a href="#help">How to get help</a></li>
</ul>
</nav>

<section aria-labelledby="what">
<h2 id="what">What the exchange is</h2>
<p>A health plan pays for your care. Medicaid is one. You may have had another plan before us.
You may also have another plan now, like one from a job.</p>
<p>The exchange is a safe link between health plans.
With your OK, we ask your other plans for your health records.
They send them to us.
A federal rule requires it.
The rule is called the CMS Interoperability and Prior Authorization rule (CMS-0057-F).</p>
<p>This can help you. For example:</p>
<ul>
<li>We can see the care you got before you joined us.</li>
<li>Care that was already OK'd may not need to wait again.</li>
<li>You do not have to find old records yourself.</li>
</ul>
</section>

<section aria-labelledby="who">
<h2 id="who">Which health plans we ask</h2>
<p>When you enroll, we ask you about your other health plans.
We ask two kinds of plans:</p>
<ul>
<li>a previous plan: a plan you had before us, in the last five years;</li>
<li>a concurrent plan: a plan you have now, at the same time as us.</li>
</ul>
<p>We ask a concurrent plan again at least every three months.
Did you get a new plan later? Call Member Customer Service to tell us.</p>
</section>

<section aria-labelledby="shared">
<h2 id="shared">What we get</h2>
<ul>
<li>Claims and visits. These show the care you got, when and where.</li>
<li>Health records. These include your health problems, lab test results and medicines.</li>
<li>Prior authorizations. Some care needs an OK from the plan first. We get the ones that were OK'd or still wait for an answer.</li>
</ul>
<p>We get records from the last five years.</p>
</section>

<section aria-labelledby="not-shared">
<h2 id="not-shared">What we do not get</h2>
<ul>
<li>what you paid or owe, like a copay</li>
<li>what the other plan paid your providers</li>
<li>prior authorizations for prescription drugs</li>
<li>prior authorizations that were denied</li>
</ul>
</section>

<section aria-labelledby="opt-in">
<h2 id="opt-in">How to say yes</h2>
<p>We only ask another plan if you say yes.
This is called opting in.
If you do nothing, we do not ask.
You say yes for each plan on its own.
Your yes lasts five years.
After that, you can say yes again.</p>
<p>There are two ways to say yes:</p>
<ol>
<li>Sign in to <a href="${choicePage}">your Payer-to-Payer page in your account</a> at <code>${choicePage}</code>. Use your Member ID, date of birth and password. Then choose yes for each plan.</li>
<li>Call Member Customer Service. They can do it for you.</li>
</ol>
</section>

<section aria-labelledby="withdraw">
<h2 id="withdraw">How to stop</h2>
<p>You can take back your yes at any time.
This is called withdrawing.
Use the same page in your account, or call Member Customer Service.
Your choice counts right away.
After you stop, we do not ask that plan again.
Records we already got stay with us.
A parent, guardian or someone who acts for you can also make this choice.</p>
</section>

<section aria-labelledby="after">
<h2 id="after">If you do not say yes</h2>
<p>Saying no does not change your Medicaid benefits.
It does not change your care.
You can still ask your other plan for your records yourself.</p>
<p>You can also see your own records in an app you choose.
Read about <a href="/patient-access">the Patient Access API and how to connect an app</a>.</p>
</section>

<section aria-labelledby="other-way">
<h2 id="other-way">When a new plan asks us</h2>
<p>Later you may join a new health plan.
That plan may ask us for your records.
We send them only if you told that plan yes.
We send the same kinds of records, from the last five years.</p>
</section>

<section aria-labelledby="help">
<h2 id="help">How to get help</h2>
<p>Call Member Customer Service if you have questions.
They can help you say yes or stop.</p>
<div class="notice"><p>${MEMBER_CONTACT_PLACEHOLDER}</p></div>
</section>`;

  return renderPage({ title: 'Payer-to-Payer exchange', body });
}
