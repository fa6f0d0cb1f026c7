-- At most one running job per kind and scope, even when two replicas start one at once.
CREATE UNIQUE INDEX job_one_running ON job (kind, scope) WHERE state = 'RUNNING';
