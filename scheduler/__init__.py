"""Scheduling: the pure solver (``scheduler.solver``) and what connects it to the product.

``load`` turns database rows into a solver problem, ``store`` turns a solution into plan rows,
``travel`` prices trips (haversine or OSRM), ``planning`` runs load, solve and store, and
``actors`` queues that work.
"""
