/* rfs-monitoring dashboard charts: the SVG drawing of the page's three charts, no library.
 *
 * drawLatency: p50 / p90 / p99 on a log axis (a timeout does not flatten the rest);
 * drawVolume: requests per step stacked by outcome; drawAvailability: availability per step.
 * Every chart takes the steps of the view-model's `chart.points` (oldest first), lays itself
 * out at the width the browser gives it, and shows a step's values on hover (in the
 * chart's readout line and as the step's SVG title). Only text is inserted, never markup.
 *
 * window.RfsCharts exposes the drawing functions and the axis maths (for the page script
 * and the browser tests).
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var OUTCOMES = [
    ["success", "success"],
    ["client_errors", "client error"],
    ["server_errors", "server error"],
    ["timeouts", "timeout"],
    ["cancelled", "cancelled"]
  ];
  var PERCENTILES = [["p50", "p50"], ["p90", "p90"], ["p99", "p99"]];
  var MARGIN = { left: 58, right: 12, top: 10, bottom: 26 };
  var HEIGHT = 220;
  var AVAILABILITY_FLOORS = [0.999, 0.99, 0.95, 0.9, 0.5, 0];

  /* ------------------------------------------------------------------ chart maths */

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= value (1 for <= 0). */
  function niceMax(value) {
    if (!(value > 0)) { return 1; }
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= value * (1 - 1e-12)) { return steps[i] * power; }
    }
    return 10 * power;
  }

  /** The decades [lo, hi] (powers of ten) holding every positive value; [1, 10] without. */
  function logDomain(values) {
    var positive = values.filter(function (v) { return v !== null && v > 0; });
    if (!positive.length) { return [1, 10]; }
    var lo = Math.pow(10, Math.floor(Math.log10(Math.min.apply(null, positive))));
    var hi = Math.pow(10, Math.ceil(Math.log10(Math.max.apply(null, positive))));
    if (hi <= lo) { hi = lo * 10; }
    return [lo, hi];
  }

  /** The ticks of a log axis over [lo, hi]: every power of ten, plus 2 and 5 times it when
   *  the axis spans two decades or fewer. */
  function logTicks(lo, hi) {
    var ticks = [];
    var decades = Math.round(Math.log10(hi / lo));
    var multiples = decades <= 2 ? [1, 2, 5] : [1];
    for (var power = lo; power <= hi * (1 + 1e-9); power *= 10) {
      for (var i = 0; i < multiples.length; i++) {
        var tick = power * multiples[i];
        if (tick <= hi * (1 + 1e-9)) { ticks.push(Number(tick.toPrecision(6))); }
      }
    }
    return ticks;
  }

  /** The lowest bound of the availability axis: the largest floor at or below the lowest
   *  value (0.99 without values), so that 99.9 % and 95 % do not look the same. */
  function availabilityFloor(values) {
    var present = values.filter(function (v) { return v !== null; });
    if (!present.length) { return 0.99; }
    var lowest = Math.min.apply(null, present);
    for (var i = 0; i < AVAILABILITY_FLOORS.length; i++) {
      if (AVAILABILITY_FLOORS[i] < lowest || AVAILABILITY_FLOORS[i] === 0) {
        return AVAILABILITY_FLOORS[i];
      }
    }
    return 0;
  }

  /** A duration for people: "0.42 ms", "12.5 ms", "1.25 s". */
  function formatMs(value) {
    if (value === null || value === undefined) { return "–"; }
    if (value >= 1000) { return (value / 1000).toFixed(2) + " s"; }
    if (value < 1) { return value.toFixed(2) + " ms"; }
    return value.toFixed(1) + " ms";
  }

  /** An axis label of a duration: "1 ms", "200 ms", "5 s", "0.1 ms". */
  function formatTick(value) {
    if (value >= 1000) { return String(Number((value / 1000).toPrecision(3))) + " s"; }
    return String(Number(value.toPrecision(3))) + " ms";
  }

  function formatPct(rate) {
    return rate === null || rate === undefined ? "–" : (rate * 100).toFixed(2) + " %";
  }

  /* ------------------------------------------------------------------ drawing */

  function svgEl(name, attrs, text) {
    var el = document.createElementNS(SVG_NS, name);
    Object.keys(attrs || {}).forEach(function (key) { el.setAttribute(key, attrs[key]); });
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  /** The frame of a chart drawn in `svg` with `count` steps: sizes and the x of a step. */
  function frameOf(svg, count) {
    var width = Math.max(280, Math.round(svg.clientWidth || svg.getBoundingClientRect().width || 600));
    svg.setAttribute("viewBox", "0 0 " + width + " " + HEIGHT);
    svg.setAttribute("height", String(HEIGHT));
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var plotW = width - MARGIN.left - MARGIN.right;
    var plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
    return {
      width: width, plotW: plotW, plotH: plotH, count: count,
      step: count ? plotW / count : plotW,
      x: function (i) { return MARGIN.left + plotW * (i + 0.5) / Math.max(1, count); },
      bottom: MARGIN.top + plotH
    };
  }

  function drawGrid(svg, frame, ticks, y, label) {
    ticks.forEach(function (tick) {
      var at = y(tick).toFixed(1);
      svg.appendChild(svgEl("line", { "class": "grid", x1: MARGIN.left, x2: MARGIN.left + frame.plotW, y1: at, y2: at }));
      svg.appendChild(svgEl("text", { "class": "axis", x: MARGIN.left - 6, y: (y(tick) + 3).toFixed(1), "text-anchor": "end" }, label(tick)));
    });
  }

  function drawTimes(svg, frame, points) {
    if (!points.length) { return; }
    var last = points.length - 1;
    var picks = last > 0 ? [0, Math.floor(last / 2), last] : [0];
    picks.filter(function (v, i, all) { return all.indexOf(v) === i; }).forEach(function (i) {
      var anchor = picks.length > 1 ? (i === 0 ? "start" : i === last ? "end" : "middle") : "middle";
      var x = picks.length > 1 && i === 0 ? MARGIN.left : picks.length > 1 && i === last ? MARGIN.left + frame.plotW : frame.x(i);
      svg.appendChild(svgEl("text", { "class": "axis", x: x.toFixed(1), y: HEIGHT - 8, "text-anchor": anchor }, points[i].stamp));
    });
  }

  function drawEmpty(svg, frame, text) {
    svg.appendChild(svgEl("text", { "class": "empty", x: (MARGIN.left + frame.plotW / 2).toFixed(1), y: (MARGIN.top + frame.plotH / 2).toFixed(1), "text-anchor": "middle" }, text));
  }

  /** Transparent columns over each step: hovering one shows its values in `readout`. */
  function drawHover(svg, frame, points, describe, readout) {
    points.forEach(function (point, i) {
      var column = svgEl("rect", { "class": "hover", x: (frame.x(i) - frame.step / 2).toFixed(1), y: MARGIN.top, width: Math.max(1, frame.step).toFixed(1), height: frame.plotH, "data-index": i });
      column.appendChild(svgEl("title", {}, describe(point)));
      svg.appendChild(column);
    });
    svg.onmouseover = function (event) {
      var index = event.target.getAttribute && event.target.getAttribute("data-index");
      if (index !== null && readout) { readout.textContent = describe(points[Number(index)]); }
    };
    svg.onmouseleave = function () { if (readout) { readout.textContent = ""; } };
  }

  function drawLines(svg, frame, points, series, y) {
    series.forEach(function (entry) {
      var run = [];
      var flush = function () {
        if (run.length) { svg.appendChild(svgEl("polyline", { "class": "series series-" + entry[0], points: run.join(" ") })); }
        run = [];
      };
      points.forEach(function (point, i) {
        var value = point[entry[0]];
        if (value === null || value === undefined) { flush(); return; }
        var at = frame.x(i).toFixed(1) + "," + y(value).toFixed(1);
        run.push(at);
        svg.appendChild(svgEl("circle", { "class": "dot dot-" + entry[0], cx: frame.x(i).toFixed(1), cy: y(value).toFixed(1), r: 2 }));
      });
      flush();
    });
  }

  /** Latency p50 / p90 / p99 on a log axis (a timeout does not flatten the rest). */
  function drawLatency(svg, points, readout) {
    var frame = frameOf(svg, points.length);
    var values = [];
    points.forEach(function (p) { values.push(p.p50, p.p90, p.p99); });
    var domain = logDomain(values);
    var span = Math.log10(domain[1] / domain[0]);
    var y = function (v) {
      var clamped = Math.min(Math.max(v, domain[0]), domain[1]);
      return frame.bottom - frame.plotH * Math.log10(clamped / domain[0]) / span;
    };
    drawGrid(svg, frame, logTicks(domain[0], domain[1]), y, formatTick);
    drawTimes(svg, frame, points);
    if (!values.some(function (v) { return v !== null && v !== undefined; })) {
      drawEmpty(svg, frame, "no requests in this window");
    }
    drawLines(svg, frame, points, PERCENTILES, y);
    drawHover(svg, frame, points, function (p) {
      return p.stamp + " · p50 " + formatMs(p.p50) + " · p90 " + formatMs(p.p90) + " · p99 " + formatMs(p.p99);
    }, readout);
    svg.setAttribute("data-points", String(svg.querySelectorAll("circle").length));
    return domain;
  }

  /** Requests per step, stacked by outcome: success, client error, server error, timeout,
   *  cancelled (bottom to top). */
  function drawVolume(svg, points, readout) {
    var frame = frameOf(svg, points.length);
    var top = niceMax(Math.max.apply(null, [0].concat(points.map(function (p) { return p.requests; }))));
    var y = function (v) { return frame.bottom - frame.plotH * v / top; };
    drawGrid(svg, frame, [0, top / 4, top / 2, top * 3 / 4, top], y, function (v) { return String(Number(v.toPrecision(3))); });
    drawTimes(svg, frame, points);
    var width = Math.max(1, frame.step * 0.8);
    points.forEach(function (point, i) {
      var base = 0;
      OUTCOMES.forEach(function (entry) {
        var count = point[entry[0]] || 0;
        if (!count) { return; }
        svg.appendChild(svgEl("rect", { "class": "bar bar-" + entry[0], x: (frame.x(i) - width / 2).toFixed(1), y: y(base + count).toFixed(1), width: width.toFixed(1), height: (y(base) - y(base + count)).toFixed(1) }));
        base += count;
      });
    });
    if (!points.some(function (p) { return p.requests > 0; })) {
      drawEmpty(svg, frame, "no requests in this window");
    }
    svg.setAttribute("data-points", String(svg.querySelectorAll("rect.bar").length));
    drawHover(svg, frame, points, function (p) {
      return p.stamp + " · " + p.requests + " requests: " + OUTCOMES.map(function (entry) {
        return (p[entry[0]] || 0) + " " + entry[1];
      }).join(", ");
    }, readout);
    return top;
  }

  /** Availability per step (steps without requests leave a gap). */
  function drawAvailability(svg, points, readout) {
    var frame = frameOf(svg, points.length);
    var floor = availabilityFloor(points.map(function (p) { return p.availability; }));
    var y = function (v) { return frame.bottom - frame.plotH * (Math.max(v, floor) - floor) / (1 - floor); };
    var ticks = [floor, floor + (1 - floor) / 2, 1];
    drawGrid(svg, frame, ticks, y, function (v) { return String(Number((v * 100).toPrecision(4))) + " %"; });
    drawTimes(svg, frame, points);
    if (!points.some(function (p) { return p.availability !== null; })) {
      drawEmpty(svg, frame, "no requests in this window");
    }
    drawLines(svg, frame, points, [["availability", "availability"]], y);
    drawHover(svg, frame, points, function (p) {
      return p.stamp + " · availability " + formatPct(p.availability) + " of " + p.requests + " requests";
    }, readout);
    svg.setAttribute("data-points", String(svg.querySelectorAll("circle").length));
    return floor;
  }

  function drawCharts(chart) {
    var byId = function (id) { return document.getElementById(id); };
    if (!byId("latency-svg")) { return; }
    drawLatency(byId("latency-svg"), chart.points, byId("latency-readout"));
    drawVolume(byId("volume-svg"), chart.points, byId("volume-readout"));
    drawAvailability(byId("availability-svg"), chart.points, byId("availability-readout"));
  }

  window.RfsCharts = {
    niceMax: niceMax,
    logDomain: logDomain,
    logTicks: logTicks,
    availabilityFloor: availabilityFloor,
    formatMs: formatMs,
    formatTick: formatTick,
    drawLatency: drawLatency,
    drawVolume: drawVolume,
    drawAvailability: drawAvailability,
    drawCharts: drawCharts
  };
}());
