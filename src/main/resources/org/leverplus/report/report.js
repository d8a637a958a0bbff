// Lever evaluation report: draws the charts from the inlined JSON with Chart.js and records its own health on <body>.
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  var charts = [];
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;

  // CI whiskers: every dataset may carry ci: [[lo, hi] or null per point]; drawn with the chart's own scales.
  var whiskers = {
    id: 'leverWhiskers',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, y = chart.scales.y;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.ci || !chart.isDatasetVisible(i)) return;
        var meta = chart.getDatasetMeta(i);
        ctx.save();
        ctx.strokeStyle = ds.borderColor;
        ctx.lineWidth = 1.5;
        meta.data.forEach(function (pt, j) {
          var ci = ds.ci[j];
          if (!ci) return;
          var x = pt.x, lo = y.getPixelForValue(ci[0]), hi = y.getPixelForValue(ci[1]);
          ctx.beginPath();
          ctx.moveTo(x, lo); ctx.lineTo(x, hi);
          ctx.moveTo(x - 5, lo); ctx.lineTo(x + 5, lo);
          ctx.moveTo(x - 5, hi); ctx.lineTo(x + 5, hi);
          ctx.stroke();
        });
        ctx.restore();
      });
    }
  };

  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    charts.push(new Chart(canvas, config));
  }

  // accuracy vs shots, one line per method; zero-shot (evaluated at 0 shots) as a dashed level across the shots
  var shots = data.settings.shots.slice().sort(function (a, b) { return a - b; });
  var sets = [];
  data.settings.methods.forEach(function (m, i) {
    var rows = data.results.filter(function (r) { return r.method === m; });
    var color = palette[i % palette.length];
    var pts = shots.map(function (k) {
      var r = m === 'zero' ? rows[0] : rows.find(function (x) { return x.shots === k; });
      return r ? r : null;
    });
    sets.push({
      label: m === 'zero' ? 'zero (0 shots)' : m, borderColor: color, backgroundColor: color,
      borderDash: m === 'zero' ? [6, 4] : [], pointRadius: m === 'zero' ? 0 : 4,
      data: pts.map(function (r) { return r ? r.accuracy : null; }),
      ci: m === 'zero' ? null : pts.map(function (r) { return r ? [r.ci_low, r.ci_high] : null; })
    });
  });
  chart('acc', {
    type: 'line', data: { labels: shots.map(String), datasets: sets }, plugins: [whiskers],
    options: { scales: { x: { title: { display: true, text: 'shots' } }, y: { title: { display: true, text: 'VQA accuracy (%), 95% CI' } } } }
  });

  if (data.training) {
    var steps = data.training.filter(function (r) { return r.type === 'step' && typeof r.loss === 'number'; });
    var phases = [];
    steps.forEach(function (r) { if (phases.indexOf(r.phase) < 0) phases.push(r.phase); });
    chart('steps', {
      type: 'line',
      data: { datasets: phases.map(function (p, i) {
        var n = 0;
        return { label: p + ' step loss', borderColor: palette[i % palette.length], pointRadius: 0, borderWidth: 1,
                 data: steps.filter(function (r) { return r.phase === p; }).map(function (r) { return { x: n++, y: r.loss }; }) };
      }) },
      options: { parsing: false, scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { title: { display: true, text: 'loss' } } } }
    });
    var epochs = data.training.filter(function (r) { return r.type === 'epoch'; });
    var labels = epochs.map(function (r) { return r.phase + ' ' + r.epoch; });
    chart('epochs', {
      type: 'line',
      data: { labels: labels, datasets: [
        { label: 'train loss', borderColor: palette[0], data: epochs.map(function (r) { return typeof r.train_loss === 'number' ? r.train_loss : null; }) },
        { label: 'val loss', borderColor: palette[1], data: epochs.map(function (r) { return typeof r.val_loss === 'number' ? r.val_loss : null; }) }] },
      options: { scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'loss' } } } }
    });
  }

  if (data.rl_stats) {
    var lv = data.rl_stats.reward_levels || {};
    var keys = Object.keys(lv);
    chart('rewards', {
      type: 'bar',
      data: { labels: keys, datasets: [{ label: 'candidates per accuracy level', backgroundColor: palette[0], data: keys.map(function (k) { return lv[k]; }) }] },
      options: { scales: { x: { title: { display: true, text: 'VQA accuracy of the candidate' } } } }
    });
  }

  // health: how many charts have drawn pixels, and every error seen
  var rendered = 0;
  charts.forEach(function (c) {
    var cv = c.canvas, px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) { rendered++; break; }
  });
  document.body.setAttribute('data-charts', String(document.querySelectorAll('canvas').length));
  document.body.setAttribute('data-rendered', String(rendered));
  function showErrors() {
    document.body.setAttribute('data-errors', window.__leverErrors.join(' | '));
    if (window.__leverErrors.length) {
      var e = document.getElementById('errors');
      e.style.display = 'block';
      e.textContent = 'Errors while drawing this report:\n' + window.__leverErrors.join('\n');
    }
  }
  showErrors();
  window.addEventListener('error', function () { setTimeout(showErrors, 0); });
})();
