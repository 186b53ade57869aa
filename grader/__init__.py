"""Autograder for the perceptron exercise."""
