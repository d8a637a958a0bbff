/** The self-contained HTML report of an evaluation (Chart.js inlined), with training curves and RL data statistics. */
package org.leverplus.report;
