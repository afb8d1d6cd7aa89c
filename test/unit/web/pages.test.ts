import { describe, expect, it } from 'vitest';
import { accountPage } from '../../../src/web/pages/account-page.js';
import { consentPage } from '../../../src/web/pages/consent-page.js';
import { errorPage } from '../../../src/web/pages/error-page.js';
import { loginPage } from '../../../src/web/pages/login-page.js';
import { allTags, decode, type Tag } from '../../helpers/html.js';

const tagsNamed = (page: string, name: string): Tag[] => allTags(page).filter((t) => t.name === name);
const inputs = (page: string): Tag[] => tagsNamed(page, 'input');
const visibleInputs = (page: string): Tag[] => inputs(page).filter((t) => t.attrs.get('type') !== 'hidden');
const inputNamed = (page: string, name: string): Tag[] => inputs(page).filter((t) => t.attrs.get('name') === name);

/** Text of the <label for=id>, tags stripped. */
function labelText(page: string, id: string): string | undefined {
  const re = new RegExp(`<label for="${id}">([\\s\\S]*?)</label>`);
  const m = re.exec(page);
  return m ? decode(m[1].replace(/<[^>]*>/g, '')).trim() : undefined;
}

/** The forms of the page, each with its own markup. */
function forms(page: string): Array<{ attrs: Map<string, string>; inner: string }> {
  return [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)].map((m) => ({
    attrs: allTags(`<form${m[1]}>`)[0].attrs,
    inner: m[2],
  }));
}

function hiddenValues(fragment: string): Array<[string, string]> {
  return inputs(fragment)
    .filter((t) => t.attrs.get('type') === 'hidden')
    .map((t) => [t.attrs.get('name') ?? '', t.attrs.get('value') ?? '']);
}

/** The accessibility basics every page must meet. */
function expectAccessibleBasics(page: string): void {
  expect(page).toContain('<html lang="en">');
  expect(page.match(/<h1\b/g)?.length, 'exactly one h1').toBe(1);
  expect(page).toMatch(/<main\b/);
  const ids = allTags(page)
    .map((t) => t.attrs.get('id'))
    .filter((x): x is string => x !== undefined);
  expect(new Set(ids).size, 'ids are unique').toBe(ids.length);
  for (const input of visibleInputs(page)) {
    const id = input.attrs.get('id');
    expect(id, `input ${input.attrs.get('name')} has an id`).toBeDefined();
    expect(labelText(page, id ?? ''), `input #${id} has a label with text`).toBeTruthy();
  }
  for (const t of allTags(page)) {
    for (const ref of (t.attrs.get('aria-describedby') ?? '').split(' ').filter(Boolean)) {
      expect(ids, `aria-describedby ${ref} points at an element`).toContain(ref);
    }
  }
  for (const b of page.matchAll(/<button\b[^>]*>([\s\S]*?)<\/button>/g)) {
    expect(b[1].replace(/<[^>]*>/g, '').trim(), 'button has text').not.toBe('');
  }
  // No script and no inline style: the pages work without JavaScript and under a strict CSP.
  expect(page).not.toMatch(/<script/i);
  expect(page).not.toMatch(/\sstyle="/);
}

const evilName = '<script>alert(1)</script>';
const evilValue = 'x" onmouseover="alert(1)';

function expectNoInjection(page: string): void {
  expect(page).not.toContain(evilName);
  expect(page).not.toMatch(/<script/i);
  expect(page).not.toContain('" onmouseover=');
  for (const t of allTags(page)) {
    for (const name of t.attrs.keys()) expect(name.startsWith('on'), `<${t.name} ${name}>`).toBe(false);
  }
}

const authHidden = { client_id: 'app-1', state: 'abc', code_challenge: 'xyz', csrf: 'tok' };

// ---- login ----

describe('login page for members', () => {
  const page = loginPage({ action: '/auth/login', hidden: authHidden, clientName: 'Health Diary', kind: 'member' });

  it('when a member signs in, then Member ID, Date of birth and Password are asked with the right names and autocomplete', () => {
    const [login] = inputNamed(page, 'login');
    expect(labelText(page, login.attrs.get('id') ?? '')).toBe('Member ID');
    expect(login.attrs.get('autocomplete')).toBe('username');
    const [birth] = inputNamed(page, 'birth_date');
    expect(birth.attrs.get('type')).toBe('date');
    expect(labelText(page, birth.attrs.get('id') ?? '')).toBe('Date of birth');
    const [password] = inputNamed(page, 'password');
    expect(password.attrs.get('type')).toBe('password');
    expect(password.attrs.get('autocomplete')).toBe('current-password');
    expect(labelText(page, password.attrs.get('id') ?? '')).toBe('Password');
  });

  it('when the app is named, then the page says which app will see the information', () => {
    expect(page).toContain('Sign in to let <b>Health Diary</b> see your health information');
  });

  it('when hidden values are given, then the sign-in form posts them with kind=member', () => {
    const form = forms(page).find((f) => f.attrs.get('method') === 'post');
    expect(form?.attrs.get('action')).toBe('/auth/login');
    expect(hiddenValues(form?.inner ?? '')).toEqual([...Object.entries(authHidden), ['kind', 'member']]);
  });

  it('when a member is on the page, then a GET form switches to staff sign-in with the same hidden values', () => {
    const form = forms(page).find((f) => f.attrs.get('method') === 'get');
    expect(form?.attrs.get('action')).toBe('/auth/login');
    expect(hiddenValues(form?.inner ?? '')).toEqual([...Object.entries(authHidden), ['kind', 'user']]);
    expect(form?.inner).toContain('Provider or payer staff? Sign in here');
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });

  it('when there is no error, then no input is marked invalid and no alert is shown', () => {
    expect(page).not.toContain('aria-invalid');
    expect(page).not.toContain('role="alert"');
  });
});

describe('login page after a failed attempt', () => {
  const page = loginPage({
    action: '/auth/login',
    hidden: authHidden,
    kind: 'member',
    error: 'We could not find that Member ID and date of birth.',
    values: { login: 'M123', birthDate: '1990-04-02' },
  });

  it('when sign-in failed, then the error is shown as an alert and every field points at it', () => {
    const alert = allTags(page).find((t) => t.attrs.get('role') === 'alert');
    const errorId = alert?.attrs.get('id') ?? '';
    expect(errorId).not.toBe('');
    expect(page).toContain('We could not find that Member ID and date of birth.');
    for (const input of visibleInputs(page)) {
      expect(input.attrs.get('aria-describedby')?.split(' ')).toContain(errorId);
      expect(input.attrs.get('aria-invalid')).toBe('true');
    }
  });

  it('when sign-in failed, then the title starts with "Error:"', () => {
    expect(page).toMatch(/<title>Error: /);
  });

  it('when sign-in failed, then Member ID and date of birth are kept but the password never is', () => {
    expect(inputNamed(page, 'login')[0].attrs.get('value')).toBe('M123');
    expect(inputNamed(page, 'birth_date')[0].attrs.get('value')).toBe('1990-04-02');
    expect(inputNamed(page, 'password')[0].attrs.has('value')).toBe(false);
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });
});

describe('login page for provider and payer staff', () => {
  const page = loginPage({ action: '/auth/login', hidden: { ...authHidden, kind: 'user' }, kind: 'user' });

  it('when staff sign in, then only User name and Password are asked', () => {
    expect(visibleInputs(page).map((t) => t.attrs.get('name'))).toEqual(['login', 'password']);
    expect(labelText(page, inputNamed(page, 'login')[0].attrs.get('id') ?? '')).toBe('User name');
    expect(inputNamed(page, 'birth_date')).toEqual([]);
  });

  it('when the caller also passes kind in hidden values, then each form sends kind exactly once', () => {
    for (const f of forms(page)) {
      expect(hiddenValues(f.inner).filter(([n]) => n === 'kind')).toHaveLength(1);
    }
    const post = forms(page).find((f) => f.attrs.get('method') === 'post');
    expect(hiddenValues(post?.inner ?? '')).toContainEqual(['kind', 'user']);
  });

  it('when staff are on the page, then they can switch back to member sign-in', () => {
    const get = forms(page).find((f) => f.attrs.get('method') === 'get');
    expect(hiddenValues(get?.inner ?? '')).toContainEqual(['kind', 'member']);
    expect(get?.inner).toContain('Medicaid member? Sign in here');
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });
});

// ---- consent ----

describe('consent page', () => {
  const scopes = [
    { value: 'launch/patient', description: 'Know which member you are', required: true },
    { value: 'openid', description: 'Confirm who you are', required: true },
    { value: 'patient/ExplanationOfBenefit.rs', description: 'See your claims and what was paid' },
    { value: 'patient/Observation.rs?category=laboratory', description: 'See your lab results' },
  ];
  const page = consentPage({
    action: '/auth/consent',
    hidden: { transaction: 't-1', csrf: 'tok' },
    clientName: 'Health Diary',
    userName: 'Ana Lopez',
    patientName: 'Ana Lopez',
    scopes,
  });

  it('when an app asks for access, then its name is in the heading', () => {
    expect(page).toMatch(/<h1>[^]*Health Diary[^]*<\/h1>/);
  });

  it('when scopes are asked, then each has a checkbox labelled in plain language inside a fieldset with a legend', () => {
    const boxes = inputs(page).filter((t) => t.attrs.get('type') === 'checkbox');
    expect(boxes).toHaveLength(scopes.length);
    boxes.forEach((box, i) => {
      expect(labelText(page, box.attrs.get('id') ?? '')).toContain(scopes[i].description);
      expect(box.attrs.has('checked')).toBe(true);
    });
    const fieldset = /<fieldset>\s*<legend>([^<]*)<\/legend>([\s\S]*?)<\/fieldset>/.exec(page);
    expect(fieldset?.[1]).toBe('This app is asking to:');
    expect(inputs(fieldset?.[2] ?? '').filter((t) => t.attrs.get('type') === 'checkbox')).toHaveLength(scopes.length);
  });

  it('when a scope is optional, then its checkbox submits scope=<value> and can be unchecked', () => {
    const optional = inputNamed(page, 'scope').filter((t) => t.attrs.get('type') === 'checkbox');
    expect(optional.map((t) => t.attrs.get('value'))).toEqual([
      'patient/ExplanationOfBenefit.rs',
      'patient/Observation.rs?category=laboratory',
    ]);
    for (const t of optional) expect(t.attrs.has('disabled')).toBe(false);
  });

  it('when a scope is required, then its checkbox is checked and disabled and a hidden input still submits it', () => {
    const boxes = inputs(page).filter((t) => t.attrs.get('type') === 'checkbox');
    for (const i of [0, 1]) {
      expect(boxes[i].attrs.has('disabled')).toBe(true);
      expect(boxes[i].attrs.has('checked')).toBe(true);
      expect(boxes[i].attrs.has('name'), 'a disabled control is never submitted, so it carries no name').toBe(false);
    }
    const hiddenScopes = inputNamed(page, 'scope')
      .filter((t) => t.attrs.get('type') === 'hidden')
      .map((t) => t.attrs.get('value'));
    expect(hiddenScopes).toEqual(['launch/patient', 'openid']);
  });

  it('when the user decides, then Allow and Don\'t allow submit decision=approve and decision=deny', () => {
    const buttons = [...page.matchAll(/<button\b([^>]*)>([^<]*)<\/button>/g)].map((m) => ({
      attrs: allTags(`<button${m[1]}>`)[0].attrs,
      text: decode(m[2]),
    }));
    const decision = buttons.filter((b) => b.attrs.get('name') === 'decision');
    expect(decision.map((b) => [b.attrs.get('value'), b.text, b.attrs.get('type')])).toEqual([
      ['approve', 'Allow', 'submit'],
      ['deny', "Don't allow", 'submit'],
    ]);
  });

  it('when the page is shown, then it says access can be removed later at /account', () => {
    expect(page).toContain('href="/account"');
    expect(page).toContain('You can uncheck anything');
  });

  it('when hidden values are given, then the consent form posts them to the action', () => {
    const [form] = forms(page);
    expect(form.attrs.get('method')).toBe('post');
    expect(form.attrs.get('action')).toBe('/auth/consent');
    expect(hiddenValues(form.inner)).toEqual(
      expect.arrayContaining([
        ['transaction', 't-1'],
        ['csrf', 'tok'],
      ]),
    );
  });

  it('when the user and patient are known, then both are shown', () => {
    expect(page).toContain('signed in as <b>Ana Lopez</b>');
    expect(page).toContain('Information about: <b>Ana Lopez</b>');
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });
});

// ---- account ----

describe('account page', () => {
  const apps = [
    {
      grantId: 'g-1',
      clientName: 'Health Diary',
      scopes: ['Your claims and what was paid'],
      authorizedAt: '2025-03-03T14:00:00Z',
    },
    { grantId: 'g-2', clientName: 'Pill Reminder', scopes: ['Your medicines'], authorizedAt: '2024-12-31T12:00:00Z' },
  ];
  const page = accountPage({
    userName: 'Ana Lopez',
    apps,
    action: '/account/revoke',
    hidden: { csrf: 'tok' },
    logoutAction: '/auth/logout',
    notice: 'Access removed for Old App.',
  });

  it('when the member has apps, then each has its own card with what it can see and when it was allowed', () => {
    expect(page).toContain('<h1>Apps that can see your information</h1>');
    expect(page).toMatch(/<h2 id="app-0">Health Diary<\/h2>[\s\S]*Your claims and what was paid[\s\S]*March 3, 2025/);
    expect(page).toMatch(/<h2 id="app-1">Pill Reminder<\/h2>[\s\S]*Your medicines[\s\S]*December 31, 2024/);
    expect(page).toContain('<time datetime="2025-03-03T14:00:00Z">');
  });

  it('when the member has apps, then there is one Remove access form per app carrying its grant_id and the csrf value', () => {
    const revokeForms = forms(page).filter((f) => f.attrs.get('action') === '/account/revoke');
    expect(revokeForms).toHaveLength(apps.length);
    revokeForms.forEach((f, i) => {
      expect(f.attrs.get('method')).toBe('post');
      expect(hiddenValues(f.inner)).toEqual([
        ['csrf', 'tok'],
        ['grant_id', apps[i].grantId],
      ]);
      expect(f.inner).toContain('Remove access');
      expect(f.inner).toContain(`for ${apps[i].clientName}`);
    });
  });

  it('when a notice is given, then it is announced as a status', () => {
    expect(page).toMatch(/role="status"[^>]*>[\s\S]*Access removed for Old App\./);
  });

  it('when the page is shown, then a sign-out form posts to the logout action with the csrf value', () => {
    const out = forms(page).find((f) => f.attrs.get('action') === '/auth/logout');
    expect(out?.attrs.get('method')).toBe('post');
    expect(hiddenValues(out?.inner ?? '')).toEqual([['csrf', 'tok']]);
    expect(out?.inner).toContain('Sign out');
  });

  it('when the member has no apps, then the empty state says so and no revoke form is shown', () => {
    const empty = accountPage({ userName: 'Ana', apps: [], action: '/account/revoke', hidden: {}, logoutAction: '/auth/logout' });
    expect(empty).toContain('No apps can see your information right now.');
    expect(forms(empty).filter((f) => f.attrs.get('action') === '/account/revoke')).toEqual([]);
    expectAccessibleBasics(empty);
  });

  it('when a time zone is given, then the date is the local day there', () => {
    const late = accountPage({
      userName: 'Ana',
      apps: [{ grantId: 'g', clientName: 'A', scopes: [], authorizedAt: '2025-03-04T02:00:00Z' }],
      action: '/r',
      hidden: {},
      logoutAction: '/o',
      timeZone: 'America/New_York',
    });
    expect(late).toContain('March 3, 2025');
  });

  it('when a stored date is not a date, then it is shown as is instead of failing', () => {
    const odd = accountPage({
      userName: 'Ana',
      apps: [{ grantId: 'g', clientName: 'A', scopes: [], authorizedAt: 'sometime' }],
      action: '/r',
      hidden: {},
      logoutAction: '/o',
    });
    expect(odd).toContain('>sometime</time>');
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });
});

// ---- error ----

describe('error page', () => {
  const page = errorPage({ title: 'This app is not registered', message: 'Ask the app maker for help.' });

  it('when an error is shown, then its title is the heading and its message is an alert', () => {
    expect(page).toContain('<h1>This app is not registered</h1>');
    expect(page).toMatch(/role="alert"[^>]*>\s*<p>Ask the app maker for help\.<\/p>/);
    expect(page).toContain('<title>Error: This app is not registered');
  });

  it('when the page is rendered, then it meets the accessibility basics', () => {
    expectAccessibleBasics(page);
  });
});

// ---- injection ----

describe('escaping of untrusted values', () => {
  const hidden = { state: evilValue, [evilValue]: 'v', csrf: evilName };

  it('when a client name, error or hidden value carries markup or a quote, then no page renders it as markup', () => {
    const pages = {
      loginMember: loginPage({
        action: evilValue,
        hidden,
        clientName: evilName,
        kind: 'member',
        error: evilName,
        values: { login: evilValue, birthDate: evilName },
      }),
      loginUser: loginPage({ action: '/l', hidden, clientName: evilName, kind: 'user' }),
      consent: consentPage({
        action: evilValue,
        hidden,
        clientName: evilName,
        userName: evilName,
        patientName: evilName,
        scopes: [
          { value: evilValue, description: evilName },
          { value: evilValue, description: evilName, required: true },
        ],
      }),
      account: accountPage({
        userName: evilName,
        apps: [{ grantId: evilValue, clientName: evilName, scopes: [evilName], authorizedAt: evilValue }],
        action: evilValue,
        hidden,
        notice: evilName,
        logoutAction: evilValue,
      }),
      error: errorPage({ title: evilName, message: evilName }),
    };
    for (const [name, page] of Object.entries(pages)) {
      expect(page, name).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expectNoInjection(page);
    }
  });

  it('when a hidden value holds a quote, then it round-trips as the same value', () => {
    const page = loginPage({ action: '/l', hidden, kind: 'member' });
    expect(inputNamed(page, 'state')[0].attrs.get('value')).toBe(evilValue);
    expect(inputNamed(page, evilValue)[0].attrs.get('value')).toBe('v');
  });
});
