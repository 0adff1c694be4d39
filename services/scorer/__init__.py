"""The scorer: values properties and scores them as investments."""
