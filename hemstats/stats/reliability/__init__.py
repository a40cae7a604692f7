"""Reliability: inter-rater agreement of labels (:mod:`.agreement`, kernels in :mod:`.kappa`) and ICC of continuous ratings (:mod:`.icc`)."""
