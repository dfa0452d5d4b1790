"""The support pages (partnership roles), one module per feature: the advice line (``enquiries``,
``reports``), consultations and clinics (``clinics``) and the interventions library (``interventions``).
"""
