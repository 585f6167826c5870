"""Statistics a learner meets beside training: Bayes' theorem and confounding."""
