// Flywall's dashboard (docs/dashboard.md): everything it shows comes from the
// daemon's own API on this origin. No framework, no CDN: the daemon serves
// this file from its binary. The token is kept in sessionStorage (this tab
// only) and sent as the Authorization header, never in a URL or cookie.
'use strict';

const TOKEN_KEY = 'flywall-token';
const HISTORY = 60;                 // seconds of rates kept for the charts
const RATE_MS = 1000;               // GET /api/ebpf/rates: once a second
const BLOCKLIST_MS = 5000;
const MAX_EVENTS = 200;             // rows kept in the event table
const SOURCE_WINDOW_MS = 60000;     // top sources: drop summaries of the last minute
const COLORS = ['#d62728', '#2ca02c', '#1f77b4', '#ff7f0e', '#9467bd', '#17becf', '#e377c2',
	'#8c564b', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#843c39', '#7b4173', '#3182bd',
	'#e6550d'];

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'class') e.className = v;
		else if (k.startsWith('data-')) e.setAttribute(k, v);
		else e[k] = v;
	}
	for (const c of children)
		e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
	return e;
}

// ---- the API --------------------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

function headers(extra) {
	const h = Object.assign({}, extra);
	if (token()) h.Authorization = 'Bearer ' + token();
	return h;
}

// JSON from the API; throws an Error whose message is the API's own.
async function api(path, options) {
	const opts = Object.assign({}, options);
	opts.headers = headers(opts.headers);
	const resp = await fetch(path, opts);
	const text = await resp.text();
	let body = null;
	try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
	if (!resp.ok) {
		const msg = body && body.error ? body.error + (body.detail ? ' (' + body.detail + ')' : '')
			: 'HTTP ' + resp.status;
		const err = new Error(msg);
		err.status = resp.status;
		throw err;
	}
	return body;
}

function setStatus(text, down) {
	const s = $('#status');
	s.textContent = text;
	s.classList.toggle('down', !!down);
}

// ---- programs and rates -----------------------------------------------------

const series = new Map();           // "program|map|counter" -> {label, values[]}
const charts = new Map();           // program -> {canvas, legend}

function rateKey(p, r) { return p.name + '|' + r.map + '|' + r.counter; }

function rateLabel(r) { return r.verdict ? r.verdict + ' / ' + r.reason : r.counter; }

function fmtRate(v) {
	if (v == null) return '…';
	if (v >= 1e6) return (v / 1e6).toFixed(2) + 'M';
	if (v >= 1e4) return (v / 1e3).toFixed(1) + 'k';
	return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

// What the program's counters are: named in its BTF, by slot only, or none.
function countersText(p) {
	if (!p.counters) return 'no counters';
	const named = p.rates.filter((r) => !r.counter.startsWith('[')).length;
	return named ? named + ' named' : 'not named (by slot)';
}

function renderPrograms(programs) {
	const body = $('#programs tbody');
	body.replaceChildren(...programs.map((p) => el('tr', { 'data-name': p.name },
		el('td', {}, p.name),
		el('td', {}, p.hook + (p.direction ? ' ' + p.direction : '')),
		el('td', {}, p.interface || '—'),
		el('td', {}, p.attach || '—'),
		el('td', {}, p.fallback || 'none'),
		el('td', { class: 'num' }, p.runs_per_s == null ? 'stats off' : fmtRate(p.runs_per_s)),
		el('td', p.counters ? {} : { class: 'no-counters' }, countersText(p)))));
	const sel = $('#event-program');
	for (const p of programs)
		if (![...sel.options].some((o) => o.value === p.name))
			sel.append(el('option', { value: p.name }, p.name));
}

function chartFor(p) {
	let c = charts.get(p.name);
	if (c) return c;
	const canvas = el('canvas', { width: 600, height: 160 });
	const legend = el('table', { class: 'legend' });
	const box = el('div', { class: 'chart', 'data-program': p.name },
		el('h3', {}, p.name), canvas, legend);
	$('#charts').append(box);
	c = { box, canvas, legend };
	charts.set(p.name, c);
	return c;
}

function renderRates(programs) {
	const seen = new Set();
	for (const p of programs) {
		if (!p.counters) continue;
		for (const r of p.rates) {
			const key = rateKey(p, r);
			let s = series.get(key);
			if (!s) {
				s = { program: p.name, label: rateLabel(r), packets: !!r.verdict, values: [] };
				series.set(key, s);
			}
			s.values.push(r.per_s);
			if (s.values.length > HISTORY) s.values.shift();
			s.total = r.total;
			s.now = r.per_s;
			seen.add(key);
		}
	}
	for (const key of [...series.keys()])
		if (!seen.has(key)) series.delete(key);
	for (const p of programs) {
		if (!p.counters) {
			const c = chartFor(p);
			c.canvas.hidden = true;
			c.legend.replaceChildren(el('tr', {}, el('td', { class: 'no-counters' },
				'this program has no counters: no rates to show')));
			continue;
		}
		drawChart(p, chartFor(p));
	}
	for (const [name, c] of charts)
		if (!programs.some((p) => p.name === name)) {
			c.box.remove();
			charts.delete(name);
		}
}

// Packets by verdict/reason are charted; other counters are listed with them.
function drawChart(p, c) {
	const mine = [...series.entries()].filter(([, s]) => s.program === p.name);
	const charted = mine.filter(([, s]) => s.packets);
	const ctx = c.canvas.getContext('2d');
	const w = c.canvas.width, h = c.canvas.height, pad = 28;
	let max = 1;
	for (const [, s] of charted) for (const v of s.values) if (v != null && v > max) max = v;
	ctx.clearRect(0, 0, w, h);
	ctx.strokeStyle = '#d9d9d4';
	ctx.fillStyle = '#6b6b66';
	ctx.font = '11px sans-serif';
	ctx.beginPath();
	ctx.moveTo(pad, 4); ctx.lineTo(pad, h - 14); ctx.lineTo(w - 4, h - 14);
	ctx.stroke();
	ctx.fillText(fmtRate(max) + '/s', 2, 12);
	ctx.fillText('0', 2, h - 14);
	ctx.fillText('-' + HISTORY + ' s', pad, h - 2);
	ctx.fillText('now', w - 26, h - 2);
	const x = (i) => pad + (w - pad - 6) * i / (HISTORY - 1);
	const y = (v) => h - 14 - (h - 22) * v / max;
	charted.forEach(([, s], n) => {
		s.color = COLORS[n % COLORS.length];
		ctx.strokeStyle = s.color;
		ctx.lineWidth = 1.5;
		ctx.beginPath();
		let started = false;
		const off = HISTORY - s.values.length;
		s.values.forEach((v, i) => {
			if (v == null) { started = false; return; }
			if (started) ctx.lineTo(x(off + i), y(v));
			else ctx.moveTo(x(off + i), y(v));
			started = true;
		});
		ctx.stroke();
	});
	c.legend.replaceChildren(...mine.map(([key, s]) => {
		const sw = el('span', { class: 'swatch' });
		if (s.packets) sw.style.background = s.color;
		return el('tr', { 'data-rate': key },
			el('td', {}, sw, s.label),
			el('td', { class: 'num rate' }, fmtRate(s.now) + '/s'),
			el('td', { class: 'num muted' }, 'total ' + s.total));
	}));
}

// One request a second brings the rates and the events since the last one
// (no stream held open: a browser gives a host only 6 connections).
let nextSeq = null;
let skippedEvents = 0;

async function pollRates() {
	try {
		const r = await api('/api/ebpf/rates?events_since=' + (nextSeq == null ? 0 : nextSeq));
		const backlog = nextSeq == null;
		for (const ev of r.events) onEvent(ev, backlog);
		if (!backlog && r.events_skipped) {
			skippedEvents += r.events_skipped;
			$('#events-skipped').textContent = skippedEvents + ' events passed over to stay live';
		}
		nextSeq = r.next_seq;
		renderPrograms(r.programs);
		renderRates(r.programs);
		setStatus(r.programs.length + ' programs · updated ' + new Date().toLocaleTimeString());
		updateMapList(r.programs);
	} catch (e) {
		setStatus('daemon unreachable: ' + e.message, true);
	}
}

// ---- top sources (ddos_filter's drop summaries, from the event stream) -------

const drops = [];                   // {t, saddr, packets, reason}

function noteDrop(ev) {
	if (ev.type !== 'ddos_drop_summary' && ev.type !== 'ddos_drop') return;
	drops.push({ t: Date.now(), saddr: ev.saddr, packets: ev.packets || 1, reason: ev.reason });
}

function renderSources() {
	const since = Date.now() - SOURCE_WINDOW_MS;
	while (drops.length && drops[0].t < since) drops.shift();
	const by = new Map();
	for (const d of drops) {
		const s = by.get(d.saddr) || { packets: 0, reasons: new Set() };
		s.packets += d.packets;
		s.reasons.add(d.reason);
		by.set(d.saddr, s);
	}
	const top = [...by.entries()].sort((a, b) => b[1].packets - a[1].packets).slice(0, 10);
	$('#sources-empty').hidden = top.length > 0;
	$('#sources tbody').replaceChildren(...top.map(([addr, s]) => el('tr', { 'data-source': addr },
		el('td', {}, addr), el('td', { class: 'num' }, s.packets),
		el('td', {}, [...s.reasons].join(', ')),
		el('td', {}, el('button', { type: 'button', onclick: () => block(addr) }, 'block')))));
}

// ---- blocklist -----------------------------------------------------------------

let blockCursor = null;

function blockMessage(text, error) {
	const m = $('#block-message');
	m.textContent = text;
	m.classList.toggle('error', !!error);
}

function needToken() {
	if (token()) return false;
	blockMessage('enter the API token first (top right): changes need it', true);
	$('#token').focus();
	return true;
}

function blockRow(e) {
	return el('tr', { 'data-address': e.address },
		el('td', {}, e.address),
		el('td', {}, e.expires_in == null ? 'never' : e.expires_in + ' s'),
		el('td', {}, el('button', { type: 'button', onclick: () => unblock(e.address) }, 'remove')));
}

async function loadBlocklist(more) {
	const q = '/api/ebpf/blocklist?limit=100' + (more && blockCursor ? '&cursor=' + encodeURIComponent(blockCursor) : '');
	try {
		const page = await api(q);
		const rows = page.entries.map(blockRow);
		if (more) $('#blocklist tbody').append(...rows);
		else $('#blocklist tbody').replaceChildren(...rows);
		blockCursor = page.next_cursor;
		$('#blocklist-more').hidden = !blockCursor;
	} catch (e) {
		blockMessage('blocklist: ' + e.message, true);
	}
}

async function block(address, expires) {
	if (needToken()) return;
	const body = { addresses: [address] };
	if (expires) body.expires_in = expires;
	try {
		await api('/api/ebpf/blocklist', { method: 'POST', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(body) });
		blockMessage('blocked ' + address);
	} catch (e) {
		blockMessage('block ' + address + ': ' + e.message, true);
	}
	loadBlocklist(false);
}

async function unblock(address) {
	if (needToken()) return;
	try {
		await api('/api/ebpf/blocklist', { method: 'DELETE', headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ addresses: [address] }) });
		blockMessage('removed ' + address);
	} catch (e) {
		blockMessage('remove ' + address + ': ' + e.message, true);
	}
	loadBlocklist(false);
}

// ---- events (brought by the rates request) ----------------------------------------

const events = [];
let paused = false;

function eventMatches(ev) {
	const prog = $('#event-program').value, type = $('#event-type').value;
	return (!prog || ev.program === prog) && (!type || ev.type === type);
}

function eventDetails(ev) {
	const skip = new Set(['seq', 'program', 'type']);
	return Object.entries(ev).filter(([k]) => !skip.has(k))
		.map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v)).join(' ');
}

function renderEvents() {
	if (paused) return;
	const rows = events.filter(eventMatches).slice(-50).reverse();
	$('#events tbody').replaceChildren(...rows.map((ev) => el('tr', {},
		el('td', { class: 'num' }, ev.seq), el('td', {}, ev.program || ''),
		el('td', {}, ev.type), el('td', { class: 'json', title: eventDetails(ev) }, eventDetails(ev)))));
}

// Events already buffered when the page opened are listed, but not counted
// among the last minute's top sources: they carry no time.
function onEvent(ev, backlog) {
	if (!backlog) noteDrop(ev);
	events.push(ev);
	if (events.length > MAX_EVENTS) events.shift();
	const sel = $('#event-type');
	if (ev.type && ![...sel.options].some((o) => o.value === ev.type))
		sel.append(el('option', { value: ev.type }, ev.type));
}

// ---- the map browser (cursor paging) -----------------------------------------------

let mapCursor = null;

function updateMapList() {
	if ($('#map-select').options.length) return;
	api('/api/ebpf/maps').then((maps) => {
		$('#map-select').replaceChildren(...maps.map((m) =>
			el('option', { value: m.qualified }, m.qualified + ' (' + m.type + ', ' + m.max_entries + ')')));
	}).catch(() => {});
}

async function loadMapPage(first) {
	const name = $('#map-select').value;
	if (!name) return;
	const q = '/api/ebpf/maps/' + encodeURIComponent(name) + '/data?limit=50' +
		(!first && mapCursor ? '&cursor=' + encodeURIComponent(mapCursor) : '');
	try {
		const page = await api(q);
		$('#map-entries tbody').replaceChildren(...page.entries.map((e) => el('tr', {},
			el('td', { class: 'json' }, JSON.stringify(e.key)),
			el('td', { class: 'json' }, JSON.stringify(e.value)))));
		mapCursor = page.next_cursor;
		$('#map-next').disabled = !mapCursor;
		$('#map-info').textContent = page.count + ' entries on this page' + (mapCursor ? '' : ' (last page)');
	} catch (e) {
		$('#map-info').textContent = name + ': ' + e.message;
	}
}

// ---- wiring ----------------------------------------------------------------------------

function start() {
	$('#token-form').addEventListener('submit', (e) => {
		e.preventDefault();
		const t = $('#token').value.trim();
		if (t) sessionStorage.setItem(TOKEN_KEY, t);
		$('#token').value = '';
		$('#token').placeholder = t ? 'token set for this tab' : $('#token').placeholder;
		loadBlocklist(false);
	});
	$('#token-forget').addEventListener('click', () => {
		sessionStorage.removeItem(TOKEN_KEY);
		$('#token').placeholder = 'for changes (kept for this tab only)';
	});
	if (token()) $('#token').placeholder = 'token set for this tab';
	$('#block-form').addEventListener('submit', (e) => {
		e.preventDefault();
		const exp = parseInt($('#block-expires').value, 10);
		block($('#block-address').value.trim(), exp > 0 ? exp : undefined);
	});
	$('#blocklist-more').addEventListener('click', () => loadBlocklist(true));
	$('#events-pause').addEventListener('click', (e) => {
		paused = !paused;
		e.target.textContent = paused ? 'resume' : 'pause';
		renderEvents();
	});
	$('#event-program').addEventListener('change', renderEvents);
	$('#event-type').addEventListener('change', renderEvents);
	$('#map-select').addEventListener('change', () => loadMapPage(true));
	$('#map-first').addEventListener('click', () => loadMapPage(true));
	$('#map-next').addEventListener('click', () => loadMapPage(false));

	pollRates();
	setInterval(pollRates, RATE_MS);
	loadBlocklist(false);
	setInterval(() => loadBlocklist(false), BLOCKLIST_MS);
	setInterval(() => { renderEvents(); renderSources(); }, 1000);
}

document.addEventListener('DOMContentLoaded', start);
