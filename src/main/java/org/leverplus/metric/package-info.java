/** The official VQAv2 accuracy (every quirk of the reference code), answer extraction and label provenance. */
package org.leverplus.metric;
