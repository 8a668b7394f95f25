// The teacher dashboard's script: plain browser JavaScript, no build step. Everything it shows
// comes from the API with the signed-in bearer token, so the API decides what a teacher may see.
// Text is set with textContent only: no string from the API is ever parsed as HTML.
(function () {
  'use strict';

  var TOKEN_KEY = 'mastery-dashboard-token';
  var HISTORY_DAYS = 28;
  var DAY_MS = 86400000;
  // Mastery reads run a few at a time: a cohort of 200 must not fire 200 requests at once.
  var PARALLEL_READS = 6;

  var $ = function (id) { return document.getElementById(id); };
  var state = { cohorts: [], cohortId: null, studentId: null, chart: null, loads: 0, curriculum: null };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'className') node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function say(message, isError) {
    var s = $('status');
    s.textContent = message;
    s.classList.toggle('error', Boolean(isError));
  }

  var fmt = function (x) { return Number(x).toFixed(2); };
  var isoDay = function (ms) { return new Date(ms).toISOString().slice(0, 10); };

  function token() { return sessionStorage.getItem(TOKEN_KEY); }

  /** Claims for display only: the API verifies the token, the page never trusts these. */
  function claimsOf(jwt) {
    try {
      var part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      return JSON.parse(atob(part + '==='.slice((part.length + 3) % 4)));
    } catch (e) {
      return {};
    }
  }

  function ApiFailure(status, message) { this.status = status; this.message = message; }

  function api(method, path, body) {
    var headers = { authorization: 'Bearer ' + token() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (res.ok) return json;
        if (res.status === 401) signOut('The token was refused (' + ((json.error && json.error.message) || 'unauthorized') + '). Sign in again.');
        throw new ApiFailure(res.status, (json.error && json.error.message) || ('HTTP ' + res.status));
      });
    });
  }

  /** Runs fn over items with at most `limit` in flight, results in the items' order. */
  function mapLimited(items, limit, fn) {
    var results = new Array(items.length);
    var next = 0;
    function worker() {
      if (next >= items.length) return Promise.resolve();
      var i = next++;
      return fn(items[i]).then(function (r) { results[i] = { ok: true, value: r }; }, function (e) { results[i] = { ok: false, error: e }; }).then(worker);
    }
    var workers = [];
    for (var w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
    return Promise.all(workers).then(function () { return results; });
  }

  // ---- sign-in ----

  function signIn(jwt) {
    sessionStorage.setItem(TOKEN_KEY, jwt.trim());
    $('token').value = '';
    start();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    state.cohortId = null;
    state.studentId = null;
    state.curriculum = null;
    $('dashboard').hidden = true;
    $('student').hidden = true;
    $('sign-out').hidden = true;
    $('whoami').hidden = true;
    $('sign-in').hidden = false;
    say(message || 'Signed out.', Boolean(message));
    offerDevTokens();
  }

  /** The development server's sample tokens, when it has some for this (loopback) browser. */
  function offerDevTokens() {
    fetch('/dashboard/dev-tokens', { cache: 'no-store' }).then(function (res) {
      if (!res.ok) return;
      return res.json().then(function (json) {
        var box = $('dev-buttons');
        clear(box);
        json.tokens.forEach(function (t) {
          var b = el('button', { type: 'button', className: 'secondary', text: 'Sign in as ' + t.subject + ' (' + t.role + ')' });
          b.addEventListener('click', function () { signIn(t.token); });
          box.appendChild(b);
        });
        $('dev-sign-in').hidden = json.tokens.length === 0;
      });
    }).catch(function () { /* no development sign-in: the pasted token is the way in */ });
  }

  function start() {
    var claims = claimsOf(token());
    $('sign-in').hidden = true;
    $('sign-out').hidden = false;
    $('whoami').hidden = false;
    $('whoami').textContent = 'Signed in as ' + (claims.sub || 'unknown') + (claims.role ? ' (' + claims.role + ')' : '');
    say('Loading your cohorts…');
    api('GET', '/api/v1/cohorts').then(function (json) {
      state.cohorts = json.cohorts;
      var select = $('cohort');
      clear(select);
      if (json.cohorts.length === 0) {
        say('You teach no cohort yet: an admin adds you to one with PUT /api/v1/cohorts/{id}.');
        return;
      }
      json.cohorts.forEach(function (c) {
        select.appendChild(el('option', { value: c.cohort_id, text: c.name + ' (' + c.student_ids.length + ' students)' }));
      });
      $('dashboard').hidden = false;
      loadCohort(json.cohorts[0].cohort_id);
    }, function (e) {
      if (e.status !== 401) say('Cannot list cohorts: ' + e.message, true);
    });
  }

  // ---- cohort: heatmap and at-risk list ----

  function loadCohort(cohortId) {
    var cohort = state.cohorts.filter(function (c) { return c.cohort_id === cohortId; })[0];
    if (!cohort) return;
    state.cohortId = cohortId;
    state.studentId = null;
    $('student').hidden = true;
    var load = ++state.loads;
    say('Loading ' + cohort.name + '…');
    Promise.all([
      curriculum(),
      mapLimited(cohort.student_ids, PARALLEL_READS, function (id) { return api('GET', '/api/v1/students/' + encodeURIComponent(id) + '/mastery'); }),
      api('GET', '/api/v1/cohorts/' + encodeURIComponent(cohortId) + '/at-risk').then(function (v) { return { ok: true, value: v }; }, function (e) { return { ok: false, error: e }; }),
    ]).then(function (r) {
      if (load !== state.loads) return; // another cohort was chosen meanwhile
      renderHeatmap(cohort, r[1], r[0]);
      renderAtRisk(r[2]);
      say(cohort.name + ': ' + cohort.student_ids.length + ' students.');
    });
  }

  /**
   * Topic titles and order from GET /api/v1/curriculum where the service has it; without it (an
   * older service, or a refusal) the columns are the topic ids in alphabetical order.
   */
  function curriculum() {
    if (state.curriculum) return Promise.resolve(state.curriculum);
    return api('GET', '/api/v1/curriculum').then(function (json) {
      var order = [];
      var titles = {};
      (Array.isArray(json.topics) ? json.topics : []).forEach(function (t) {
        if (typeof t.topic_id !== 'string') return;
        order.push(t.topic_id);
        titles[t.topic_id] = typeof t.title === 'string' && t.title ? t.title : t.topic_id;
      });
      return (state.curriculum = { order: order, titles: titles });
    }, function () { return { order: [], titles: {} }; });
  }

  function studentButton(id) {
    var b = el('button', { type: 'button', className: 'link', 'data-student': id, text: id });
    b.addEventListener('click', function () { showStudent(id); });
    return b;
  }

  function renderHeatmap(cohort, results, known) {
    var topics = [];
    results.forEach(function (r) {
      if (r.ok) r.value.topics.forEach(function (t) { if (topics.indexOf(t.topic_id) < 0) topics.push(t.topic_id); });
    });
    var rank = function (id) { var i = known.order.indexOf(id); return i < 0 ? known.order.length : i; };
    topics.sort(function (a, b) { return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0); });
    var thead = $('heatmap').tHead;
    var tbody = $('heatmap').tBodies[0];
    clear(thead);
    clear(tbody);
    var head = el('tr', {}, [el('th', { scope: 'col', text: 'Student' })]);
    topics.forEach(function (t) { head.appendChild(el('th', { scope: 'col', 'data-topic': t, text: known.titles[t] || t })); });
    head.appendChild(el('th', { scope: 'col', text: 'Overall' }));
    thead.appendChild(head);
    cohort.student_ids.forEach(function (id, i) {
      var row = el('tr', { 'data-student': id }, [el('th', { scope: 'row' }, [studentButton(id)])]);
      var r = results[i];
      if (!r.ok) {
        row.appendChild(el('td', { colspan: String(topics.length + 1), className: 'level-none', text: 'unavailable: ' + r.error.message }));
      } else {
        var byTopic = {};
        r.value.topics.forEach(function (t) { byTopic[t.topic_id] = t; });
        topics.forEach(function (t) { row.appendChild(cell(id, t, byTopic[t])); });
        row.appendChild(cell(id, 'overall', r.value.topics.length ? r.value.overall : undefined));
      }
      tbody.appendChild(row);
    });
  }

  function cell(studentId, topicId, m) {
    if (!m) return el('td', { className: 'level-none', 'data-student': studentId, 'data-topic': topicId }, [el('span', { className: 'score', text: '—' }), el('span', { className: 'level', text: 'no events' })]);
    return el('td', { className: 'level-' + m.level, 'data-student': studentId, 'data-topic': topicId, 'data-score': String(m.mastery_score) }, [
      el('span', { className: 'score', text: fmt(m.mastery_score) }),
      el('span', { className: 'level', text: m.level }),
    ]);
  }

  function renderAtRisk(result) {
    var tbody = $('at-risk').tBodies[0];
    clear(tbody);
    if (!result.ok) {
      tbody.appendChild(el('tr', {}, [el('td', { colspan: '4', text: 'unavailable: ' + result.error.message })]));
      $('at-risk-empty').hidden = true;
      $('at-risk-region').hidden = false;
      return;
    }
    var students = result.value.students;
    $('at-risk-empty').hidden = students.length > 0;
    $('at-risk-region').hidden = students.length === 0;
    students.forEach(function (s) {
      var reasons = el('ul');
      s.topics.forEach(function (t) {
        t.reasons.forEach(function (reason) {
          reasons.appendChild(el('li', { 'data-topic': t.topic_id, 'data-reason': reason.code, text: t.topic_id + ': ' + reason.message + ' (predicted ' + fmt(t.predicted) + ')' }));
        });
      });
      tbody.appendChild(el('tr', { 'data-student': s.student_id }, [
        el('th', { scope: 'row' }, [studentButton(s.student_id)]),
        el('td', { className: 'num', 'data-value': String(s.current), text: fmt(s.current) }),
        el('td', { className: 'num', 'data-value': String(s.predicted), text: fmt(s.predicted) }),
        el('td', { className: 'reasons' }, [reasons]),
      ]));
    });
  }

  // ---- one student: history, prediction band, recommendations ----

  function showStudent(id) {
    state.studentId = id;
    Array.prototype.forEach.call($('heatmap').tBodies[0].rows, function (row) { row.classList.toggle('selected', row.getAttribute('data-student') === id); });
    var section = $('student');
    section.hidden = false;
    $('student-title').textContent = 'Student ' + id;
    $('student-title').focus();
    $('prediction-text').textContent = 'Loading…';
    clear($('recommendations'));
    clear($('history').tBodies[0]);
    var today = Date.now();
    var settle = function (p) { return p.then(function (v) { return { ok: true, value: v }; }, function (e) { return { ok: false, error: e }; }); };
    Promise.all([
      settle(api('POST', '/api/v1/analytics/mastery-history', { student_id: id, from: isoDay(today - (HISTORY_DAYS - 1) * DAY_MS), to: isoDay(today), granularity: 'daily' })),
      settle(api('POST', '/api/v1/predictions/next-week', { student_id: id })),
      settle(api('POST', '/api/v1/recommendations/adaptive', { student_id: id, limit: 3 })),
    ]).then(function (r) {
      if (state.studentId !== id) return;
      renderPrediction(r[1]);
      renderHistory(r[0], r[1]);
      renderRecommendations(r[2]);
    });
  }

  function renderPrediction(result) {
    var p = $('prediction-text');
    if (!result.ok) { p.textContent = 'Prediction unavailable: ' + result.error.message; return; }
    var o = result.value.overall;
    p.textContent = 'Now ' + fmt(o.current) + '. In 7 days: predicted ' + fmt(o.predicted) + ' (80% interval ' + fmt(o.low) + ' to ' + fmt(o.high) + '), trend ' + o.trend + ', level ' + o.level_predicted + '.';
    p.setAttribute('data-predicted', String(o.predicted));
    p.setAttribute('data-low', String(o.low));
    p.setAttribute('data-high', String(o.high));
  }

  function renderHistory(history, prediction) {
    var tbody = $('history').tBodies[0];
    if (!history.ok) {
      tbody.appendChild(el('tr', {}, [el('td', { colspan: '4', text: 'unavailable: ' + history.error.message })]));
      return;
    }
    var points = history.value.points;
    points.forEach(function (pt) {
      tbody.appendChild(el('tr', {}, [
        el('th', { scope: 'row', text: pt.period_start }),
        el('td', { className: 'num', text: fmt(pt.mastery_score) }),
        el('td', { text: pt.level }),
        el('td', { className: 'num', text: String(pt.events) }),
      ]));
    });
    drawChart(points, prediction.ok ? prediction.value : null);
  }

  /** Daily mastery as a line; the 7-day prediction as a dashed line inside its shaded 80% band. */
  function drawChart(points, prediction) {
    var box = $('chart');
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    clear(box);
    if (typeof uPlot !== 'function') return;
    var rows = {};
    var put = function (day, i, v) { (rows[day] = rows[day] || [null, null, null, null])[i] = v; };
    points.forEach(function (pt) { put(pt.period_start, 0, pt.mastery_score); });
    if (prediction) {
      var from = Date.parse(prediction.as_of.slice(0, 10) + 'T00:00:00Z');
      var o = prediction.overall;
      [[from, o.current, o.current, o.current], [from + 7 * DAY_MS, o.predicted, o.low, o.high]].forEach(function (p) {
        var day = isoDay(p[0]);
        put(day, 1, p[1]); put(day, 2, p[2]); put(day, 3, p[3]);
      });
    }
    var days = Object.keys(rows).sort();
    var data = [days.map(function (d) { return Date.parse(d + 'T00:00:00Z') / 1000; })];
    for (var s = 0; s < 4; s++) data.push(days.map(function (d) { return rows[d][s]; }));
    var width = Math.max(280, box.clientWidth || box.parentNode.clientWidth);
    state.chart = new uPlot({
      width: width,
      height: 240,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: [{ stroke: '#1b1f24' }, { stroke: '#1b1f24', values: function (u, vals) { return vals.map(function (v) { return v.toFixed(1); }); } }],
      series: [
        {},
        { label: 'mastery', stroke: '#0b57d0', width: 2, spanGaps: true, points: { show: true, size: 5 } },
        { label: 'predicted', stroke: '#7a3fb0', width: 2, dash: [6, 4], spanGaps: true },
        { label: 'low', stroke: 'rgba(122,63,176,0.35)', width: 1, spanGaps: true },
        { label: 'high', stroke: 'rgba(122,63,176,0.35)', width: 1, spanGaps: true },
      ],
      bands: [{ series: [4, 3], fill: 'rgba(122,63,176,0.15)' }],
    }, data, box);
  }

  function renderRecommendations(result) {
    var list = $('recommendations');
    if (!result.ok) { list.appendChild(el('li', { text: 'unavailable: ' + result.error.message })); return; }
    var recs = result.value.recommendations;
    $('recommendations-empty').hidden = recs.length > 0;
    recs.forEach(function (r) {
      list.appendChild(el('li', { 'data-recommendation': r.recommendation_id, 'data-topic': r.topic_id }, [
        el('strong', { text: r.topic_id + ': ' + r.action + ' (' + r.priority + ' priority)' }),
        el('div', { text: r.reason }),
        el('div', { className: 'meta', text: 'about ' + r.estimated_minutes + ' min · expected gain +' + fmt(r.expected_gain) }),
      ]));
    });
  }

  // ---- wiring ----

  document.addEventListener('DOMContentLoaded', function () {
    $('sign-in-form').addEventListener('submit', function (e) {
      e.preventDefault();
      var value = $('token').value.trim();
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value)) {
        say('That is not a JWT: paste the whole token, three parts separated by dots.', true);
        $('token').focus();
        return;
      }
      signIn(value);
    });
    $('sign-out').addEventListener('click', function () { signOut(); });
    $('cohort').addEventListener('change', function (e) { loadCohort(e.target.value); });
    window.addEventListener('resize', function () {
      if (state.chart) state.chart.setSize({ width: Math.max(280, $('chart').clientWidth), height: 240 });
    });
    if (token()) start();
    else offerDevTokens();
  });
})();
